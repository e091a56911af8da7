/**
 * The real libraries on a real graph: Graphviz's SVG draws one node per workload and address and one
 * edge per flow group (the legend's four points and two edges besides), and resvg makes a PNG of it
 * that a PNG reader accepts, of a size that fits the layout.
 */
import { writeFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { buildFlowGraph, drawnCounts, flowGraphDot, type GraphFlow } from '../../core/graph/flow-graph';
import { renderGraph, renderSvg, svgToPng } from './render-png';

const w = (namespace: string, name: string) => ({ kind: 'workload' as const, namespace, name });
const FLOWS: GraphFlow[] = [
  {
    source: w('frontend', 'nginx'),
    destination: w('backend', 'api'),
    protocol: 'TCP',
    port: 8080,
    verdict: 'allowed',
    count: 1204,
  },
  {
    source: w('frontend', 'nginx'),
    destination: w('backend', 'api'),
    protocol: 'TCP',
    port: 9090,
    verdict: 'blocked',
    count: 3,
  },
  {
    source: w('backend', 'api'),
    destination: { kind: 'address', address: '203.0.113.7' },
    protocol: 'TCP',
    port: 443,
    verdict: 'allowed',
    count: 12,
  },
  {
    source: w('backend', 'api'),
    destination: w('backend', 'db'),
    protocol: 'TCP',
    port: 5432,
    verdict: 'allowed',
    count: 40,
  },
];

/** The PNG's chunks, checked by their CRC-free structure: signature, IHDR first, IEND last. */
function readPng(png: Buffer): { width: number; height: number; chunks: string[]; pixels: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let at = 8;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    chunks.push(type);
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  expect(at).toBe(png.length);
  return {
    width: png.readUInt32BE(16),
    height: png.readUInt32BE(20),
    chunks,
    pixels: inflateSync(Buffer.concat(idat)),
  };
}

describe('render-png', () => {
  const graph = buildFlowGraph(FLOWS, { namespace: 'backend' });
  const dot = flowGraphDot(graph);

  it('lays the graph out as SVG with a node per workload and address and an edge per flow group', async () => {
    const svg = await renderSvg(dot);
    const counts = drawnCounts(graph);
    expect(counts).toEqual({ nodes: 4 + 4, edges: 4 + 2 });
    expect(svg.match(/<g id="node\d+" class="node">/g)).toHaveLength(counts.nodes);
    expect(svg.match(/<g id="edge\d+" class="edge">/g)).toHaveLength(counts.edges);
    // Two namespaces and the legend.
    expect(svg.match(/<g id="clust\d+" class="cluster">/g)).toHaveLength(3);
    for (const name of ['nginx', 'api', 'db', '203.0.113.7', 'namespace backend', 'tcp/9090 (3)'])
      expect(svg).toContain(`>${name}</text>`);
    expect(svg).toContain('stroke="#d32f2f"');
  });

  it('rasterises to a valid PNG of a sane size', async () => {
    const png = await renderGraph(dot, 'png');
    const { width, height, chunks, pixels } = readPng(png);
    expect(chunks[0]).toBe('IHDR');
    expect(chunks[chunks.length - 1]).toBe('IEND');
    expect(width).toBeGreaterThan(300);
    expect(width).toBeLessThanOrEqual(4000);
    expect(height).toBeGreaterThan(100);
    expect(height).toBeLessThan(4000);
    // Not a blank image: the decompressed scanlines hold more than one colour.
    expect(new Set(pixels).size).toBeGreaterThan(10);
    // To look at it: GRAPH_PNG_OUT=/tmp/graph.png npx jest src/adapters/graph
    if (process.env.GRAPH_PNG_OUT !== undefined) writeFileSync(process.env.GRAPH_PNG_OUT, png);
  });

  it('scales a very wide graph down to 4000 px', async () => {
    const wide: GraphFlow[] = Array.from({ length: 120 }, (_, i) => ({
      source: w('a', `client-${i}`),
      destination: w('b', 'server'),
      protocol: 'TCP' as const,
      port: 80,
      verdict: 'allowed' as const,
      count: 1,
    }));
    const wideDot = flowGraphDot(buildFlowGraph(wide)).replace('rankdir="LR"', 'rankdir="TB"');
    const { width } = readPng(await svgToPng(await renderSvg(wideDot)));
    expect(width).toBe(4000);
  });

  it('gives DOT as is and SVG as text', async () => {
    expect((await renderGraph(dot, 'dot')).toString('utf8')).toBe(dot);
    expect((await renderGraph(dot, 'svg')).toString('utf8')).toMatch(/^<\?xml[\s\S]*<\/svg>\s*$/);
  });

  it('names a DOT Graphviz cannot read as E_GRAPH', async () => {
    await expect(renderSvg('digraph { a -> }')).rejects.toMatchObject({ code: 'E_GRAPH' });
  });
});

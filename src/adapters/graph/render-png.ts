/**
 * Turns the flow graph's DOT (src/core/graph/flow-graph.ts) into a picture: Graphviz, compiled to
 * WebAssembly (@hpcc-js/wasm-graphviz), lays it out as SVG; resvg (@resvg/resvg-js, a prebuilt
 * native addon) rasterises the SVG to PNG. Both are loaded on first use only, so a process or a
 * CLI command that draws nothing never reads them (the CLI bundle keeps them external:
 * scripts/build-cli.mjs); the compiled Graphviz module is kept for the process's later calls.
 *
 * Fonts: resvg draws text with the system's fonts (the image installs fonts-dejavu-core); on a host
 * with no font at all the boxes and arrows come out without their names. Throws NetpolError E_GRAPH
 * when a library fails to load or Graphviz refuses the DOT.
 */
import { NetpolError } from '../../core/errors';

export type GraphFormat = 'png' | 'svg' | 'dot';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['png', 'svg', 'dot'];

/** Wide graphs are scaled down to this width: Slack shows a preview, and a 20,000-px PNG helps nobody. */
const MAX_WIDTH_PX = 4000;
/** Graphviz's SVG is in points (1/72 in); 1.5x makes the text readable in Slack's preview. */
const SCALE = 1.5;

interface GraphvizInstance {
  dot(source: string, format?: 'svg'): string;
}
let graphviz: Promise<GraphvizInstance> | undefined;

async function loadGraphviz(): Promise<GraphvizInstance> {
  graphviz ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load());
  try {
    return await graphviz;
  } catch (err) {
    graphviz = undefined;
    throw new NetpolError('E_GRAPH', `Graphviz (WebAssembly) could not be loaded: ${String(err)}`, {
      cause: err,
    });
  }
}

/** DOT -> SVG text (Graphviz's `dot` layout). */
export async function renderSvg(dot: string): Promise<string> {
  const gv = await loadGraphviz();
  try {
    return gv.dot(dot, 'svg');
  } catch (err) {
    throw new NetpolError('E_GRAPH', `Graphviz could not lay out the graph: ${String(err)}`, { cause: err });
  }
}

/** SVG -> PNG bytes. */
export async function svgToPng(svg: string): Promise<Buffer> {
  let resvg: typeof import('@resvg/resvg-js');
  try {
    resvg = await import('@resvg/resvg-js');
  } catch (err) {
    throw new NetpolError(
      'E_GRAPH',
      `the PNG renderer (@resvg/resvg-js) could not be loaded: ${String(err)}`,
      { cause: err, hint: 'use --format svg or dot, or install the package for this platform' },
    );
  }
  const width = Number(/<svg[^>]*\swidth="([\d.]+)pt"/.exec(svg)?.[1] ?? '0');
  const fitTo =
    width * SCALE > MAX_WIDTH_PX
      ? { mode: 'width' as const, value: MAX_WIDTH_PX }
      : { mode: 'zoom' as const, value: SCALE };
  const renderer = new resvg.Resvg(svg, {
    fitTo,
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return renderer.render().asPng();
}

/** The graph in the format asked for: DOT as is, SVG laid out, or PNG rasterised. */
export async function renderGraph(dot: string, format: GraphFormat): Promise<Buffer> {
  if (format === 'dot') return Buffer.from(dot, 'utf8');
  const svg = await renderSvg(dot);
  if (format === 'svg') return Buffer.from(svg, 'utf8');
  return svgToPng(svg);
}

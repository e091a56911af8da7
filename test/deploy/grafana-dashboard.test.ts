/**
 * The Grafana dashboard shipped with the chart (helm/netpol/dashboards/netpol.json) queries only
 * what netpol serves: every `netpol_*` series in its queries and template variables, with the labels
 * its selectors name, is in a real scrape of the bot and a worker (the control-plane harness, after
 * a request was applied) or of an agent's metrics (over in-memory dataplane readings).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { AgentMetrics } from '../../src/agent/metrics';
import {
  APPROVAL_CHANNEL,
  BOB,
  buttonValue,
  startControlPlane,
  type ControlPlane,
} from '../../src/devtools/control-plane';
import { approvalMessageWhere, submit } from '../e2e/transport-scenarios';
import { parseScrape, scrape, type Scrape } from '../support/metrics-scrape';

// Starts the whole control plane and applies two requests: generous for a loaded 2-core machine.
jest.setTimeout(120_000);

const DASHBOARD = join(__dirname, '../../helm/netpol/dashboards/netpol.json');

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
  gridPos: { h: number; w: number; x: number; y: number };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; query: unknown; definition?: string }[] };
};

/** Every PromQL text of the dashboard: panel targets and template variable queries. */
function queries(): string[] {
  const panelQueries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr));
  const variableQueries = dashboard.templating.list.flatMap((variable) => [
    typeof variable.query === 'object' && variable.query !== null
      ? String((variable.query as { query?: unknown }).query ?? '')
      : String(variable.query ?? ''),
    variable.definition ?? '',
  ]);
  return [...panelQueries, ...variableQueries].filter((q) => q !== '');
}

let plane: ControlPlane;
const served: Scrape[] = [];

beforeAll(async () => {
  plane = await startControlPlane();
  await plane.startWorker();
  await plane.waitForSnapshot();
  // One request applied and one the API server forbids, so the labelled series exist.
  for (const [port, outcome] of [
    [7401, /Applied/],
    [7402, /Failed/],
  ] as const) {
    if (port === 7402) plane.kube.failNext({ verb: 'patch', resource: 'networkpolicies', status: 403 });
    const { approval } = await submit(plane, `allow frontend nginx to backend on tcp/${port}`);
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    await approvalMessageWhere(plane, approval.ts, (text) => outcome.test(text));
  }
  served.push(await scrape(plane.metricsUrl('bot')), await scrape(plane.metricsUrl('worker')));
  const agent = new AgentMetrics({
    dataplane: {
      mapKeys: async () => ['1'],
      endpointCounters: async () => ({
        allowedPackets: 1n,
        allowedBytes: 1n,
        droppedPackets: 1n,
        droppedBytes: 1n,
      }),
      globalCounters: async () => ({ eventsLost: 0n, eventsSuppressed: 0n }),
    },
    localEndpoints: () => [{ namespace: 'shop', name: 'db', endpointId: 7 }],
    ready: () => true,
    dropEventStats: () => ({ published: 0, discarded: 0, failed: 0, buffered: 0 }),
    log: pino({ level: 'silent' }),
    processMetrics: false,
  });
  served.push(parseScrape(await agent.render()));
});
afterAll(async () => plane?.close());

/** Metric name -> the label names its samples carry, over every scrape. */
function servedLabels(): Map<string, Set<string>> {
  const labels = new Map<string, Set<string>>();
  for (const s of served) {
    for (const key of s.samples.keys()) {
      const brace = key.indexOf('{');
      const name = brace === -1 ? key : key.slice(0, brace);
      const set = labels.get(name) ?? new Set<string>();
      if (brace !== -1) for (const m of key.slice(brace).matchAll(/([a-zA-Z_]+)="/g)) set.add(m[1] as string);
      labels.set(name, set);
    }
  }
  return labels;
}

test('every netpol series the dashboard queries is served, with the labels its selectors name', () => {
  const labels = servedLabels();
  const problems: string[] = [];
  const texts = queries();
  expect(texts.length).toBeGreaterThan(10);
  for (const text of texts) {
    for (const match of text.matchAll(/\b(netpol_[a-z0-9_]+)(\{([^}]*)\})?/g)) {
      const name = match[1] as string;
      const have = labels.get(name);
      if (have === undefined) {
        problems.push(`${name} (in ${text}) is not served`);
        continue;
      }
      for (const m of (match[3] ?? '').matchAll(/([a-zA-Z_]+)\s*(=~|!=|!~|=)/g))
        if (!have.has(m[1] as string)) problems.push(`${name} has no label ${m[1]} (in ${text})`);
    }
  }
  expect(problems).toEqual([]);
});

test('the dashboard has the usual panels, a data source and a cluster variable, and panels do not overlap', () => {
  expect(dashboard.uid).toBe('netpol-overview');
  const titles = dashboard.panels.filter((p) => p.type !== 'row').map((p) => p.title);
  for (const title of [
    'Requests by state',
    'Approval to applied (p50, p95)',
    'Queue depth',
    'Slack calls by outcome',
    'Slack 429s',
    'Kubernetes API errors by code',
    'Cluster snapshot age',
    'Packets dropped by namespace',
  ])
    expect(titles).toContain(title);
  expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'cluster']);
  const cells = new Set<string>();
  for (const panel of dashboard.panels) {
    const { x, y, w, h } = panel.gridPos;
    expect(x + w).toBeLessThanOrEqual(24);
    for (let i = x; i < x + w; i++)
      for (let j = y; j < y + h; j++) {
        expect(cells.has(`${i},${j}`) ? `${panel.title} overlaps at ${i},${j}` : 'ok').toBe('ok');
        cells.add(`${i},${j}`);
      }
  }
});

test("every netpol series the README's Metrics section names (its table and alert examples) is served", () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Metrics\n'), readme.indexOf('### Several clusters'));
  const names = new Set(
    [...section.matchAll(/\b(netpol_[a-z0-9_]*[a-z0-9])\b(?!_\*|\*)/g)].map((m) => m[1] as string),
  );
  expect(names.size).toBeGreaterThan(8);
  // A histogram is named by its family (its samples are _bucket, _sum, _count).
  const known = new Set([...servedLabels().keys(), ...served.flatMap((scrape) => [...scrape.types.keys()])]);
  expect([...names].filter((name) => !known.has(name))).toEqual([]);
});

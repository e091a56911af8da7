/**
 * `--agent-trace` of the agent bench (bench/dataplane-agent.ts, issue 9): where the time of one
 * policy change goes, from the API call to the new verdict on the wire. A measurement build, not how
 * the agent runs: a hook preloaded into the agent (NODE_OPTIONS --require) timestamps, with
 * CLOCK_MONOTONIC (process.hrtime, the clock of the bench and of the probe loop too):
 *
 * - `w`: each watch line naming the bench's policy, when the agent's readline hands it over
 *   (readline.createInterface is wrapped: client-node's Watch and the loader helper both use it);
 * - `q` / `r`: each request written to the loader helper and its reply, as the agent reads it;
 * - `c`: a read of the helper's stdout carrying many ring-buffer events (drops) at once;
 * - `g`: V8 garbage collections of 2 ms or more (start, duration, kind);
 * - `s`: event-loop stalls: a 2 ms timer that fired 10 ms or more late (start, length).
 *
 * The bench adds its own side: the stand-in's store write (in the bench process), the bench
 * process's own stalls (it hosts the stand-in), and the probe loop's gap before the first probe with
 * the new verdict (a probe process that did not run shows as a gap). breakdown() then splits each
 * change into stages and names what overlapped it.
 */
import { readFileSync } from 'node:fs';

/** Preloaded into the agent with --agent-trace; appends records to NETPOL_BENCH_TRACE_FILE. */
export const TRACE_HOOK = String.raw`
const { appendFileSync } = require('node:fs');
const childProcess = require('node:child_process');
const readline = require('node:readline');
const { syncBuiltinESMExports } = require('node:module');
const { PerformanceObserver, performance } = require('node:perf_hooks');
const file = process.env.NETPOL_BENCH_TRACE_FILE;
const now = () => process.hrtime.bigint();
let records = [];
const add = (line) => records.push(line);
setInterval(() => {
  if (records.length === 0) return;
  const text = records.join('\n') + '\n';
  records = [];
  appendFileSync(file, text);
}, 200).unref();

// Watch lines of the bench's policy.
const createInterface = readline.createInterface;
readline.createInterface = function (...args) {
  const rl = createInterface.apply(this, args);
  rl.on('line', (line) => {
    if (line.includes('"bench-deny"') && line.startsWith('{"type":'))
      add('w ' + now() + ' ' + line.slice(9, line.indexOf('"', 9)));
  });
  return rl;
};
syncBuiltinESMExports();

// Requests to the loader helper and its replies.
const spawn = childProcess.spawn;
childProcess.spawn = function (file, ...rest) {
  const child = spawn.call(this, file, ...rest);
  if (typeof file === 'string' && file.endsWith('netpol-loader')) {
    const write = child.stdin.write.bind(child.stdin);
    child.stdin.write = (chunk, ...more) => {
      const words = String(chunk).split(' ', 3);
      add('q ' + now() + ' ' + words[0] + ' ' + words[1] + ' ' + (words[2] || '').slice(0, 16).trim());
      return write(chunk, ...more);
    };
    child.stdout.on('data', (data) => {
      const at = now();
      let events = 0;
      for (const line of String(data).split('\n')) {
        if (line.startsWith('event ')) events++;
        else if (/^\d+ (ok|err)/.test(line)) add('r ' + at + ' ' + line.split(' ', 2).join(' '));
      }
      if (events >= 20) add('c ' + at + ' ' + events);
    });
  }
  return child;
};
syncBuiltinESMExports();

// Garbage collections, in the same clock.
const toNs = (ms) => now() - BigInt(Math.round((performance.now() - ms) * 1e6));
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.duration < 2) continue;
    add('g ' + toNs(entry.startTime) + ' ' + entry.duration.toFixed(2) + ' ' + (entry.detail ? entry.detail.kind : entry.kind));
  }
}).observe({ entryTypes: ['gc'] });

// Event-loop stalls.
let last = now();
setInterval(() => {
  const at = now();
  const late = Number(at - last) / 1e6 - 2;
  if (late >= 10) add('s ' + last + ' ' + late.toFixed(1));
  last = at;
}, 2).unref();
`;

export interface AgentTrace {
  readonly watch: { atNs: bigint; type: string }[];
  readonly requests: { atNs: bigint; id: string; command: string; arg: string }[];
  readonly replies: Map<string, { atNs: bigint; status: string }>;
  readonly eventChunks: { atNs: bigint; events: number }[];
  readonly gcs: { atNs: bigint; ms: number; kind: string }[];
  readonly stalls: { atNs: bigint; ms: number }[];
}

export function readAgentTrace(file: string): AgentTrace {
  const trace: AgentTrace = {
    watch: [],
    requests: [],
    replies: new Map(),
    eventChunks: [],
    gcs: [],
    stalls: [],
  };
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return trace;
  }
  for (const line of text.split('\n')) {
    const [tag, at, a = '', b = '', c = ''] = line.split(' ');
    if (at === undefined || !/^\d+$/.test(at)) continue;
    const atNs = BigInt(at);
    if (tag === 'w') trace.watch.push({ atNs, type: a });
    else if (tag === 'q') trace.requests.push({ atNs, id: a, command: b, arg: c });
    else if (tag === 'r') trace.replies.set(a, { atNs, status: b });
    else if (tag === 'c') trace.eventChunks.push({ atNs, events: Number(a) });
    else if (tag === 'g') trace.gcs.push({ atNs, ms: Number(a), kind: b });
    else if (tag === 's') trace.stalls.push({ atNs, ms: Number(a) });
  }
  return trace;
}

/** The bench's record of one policy change. */
export interface ToggleTimes {
  readonly callNs: bigint;
  /** The stand-in's store write (in the bench process). */
  readonly storeNs: bigint | undefined;
  readonly returnNs: bigint;
  /** Send time of the first probe with the new verdict, and of the probe before it. */
  readonly wireNs: bigint | undefined;
  readonly probeBeforeNs: bigint | undefined;
}

export interface Stall {
  readonly atNs: bigint;
  readonly ms: number;
}

const ms = (from: bigint | undefined, to: bigint | undefined): number | undefined =>
  from === undefined || to === undefined ? undefined : Number(to - from) / 1e6;

export interface ToggleBreakdown {
  readonly totalMs: number | undefined;
  /** API call start -> store write (the stand-in's HTTP handling, in the bench process). */
  readonly callToStoreMs: number | undefined;
  /** Store write -> the agent's readline hands over the watch line. */
  readonly storeToAgentMs: number | undefined;
  /** Watch line -> first loader request of the pass. */
  readonly agentComputeMs: number | undefined;
  /** First request -> reply to the endpoint write that flips the verdict (or the last reply before the wire). */
  readonly loaderMs: number | undefined;
  /** That reply -> the first probe with the new verdict. */
  readonly toWireMs: number | undefined;
  /** The probe loop's gap before that probe (its own resolution). */
  readonly probeGapMs: number | undefined;
  readonly requests: string;
  readonly agentGcMs: number;
  readonly agentStallMs: number;
  readonly benchStallMs: number;
  readonly eventsReadMeanwhile: number;
}

/** Splits each change into stages, with what overlapped it in the agent and in the bench. */
export function breakdown(
  toggles: readonly ToggleTimes[],
  trace: AgentTrace,
  benchStalls: readonly Stall[],
): ToggleBreakdown[] {
  return toggles.map((toggle, i) => {
    const end = toggle.wireNs ?? toggle.returnNs + 1_000_000_000n;
    const next = toggles[i + 1]?.callNs ?? end + 1_000_000_000n;
    const inWindow = (atNs: bigint) => atNs >= toggle.callNs && atNs <= end;
    const watch = trace.watch.find((w) => w.atNs >= toggle.callNs && w.atNs < next);
    const requests = trace.requests.filter(
      (r) => watch !== undefined && r.atNs >= watch.atNs && r.atNs < next && r.command !== 'lookup',
    );
    const flip = requests.find((r) => r.command === 'update' && r.arg === 'endpoints');
    const flipReply = flip === undefined ? undefined : trace.replies.get(flip.id)?.atNs;
    const overlap = (items: readonly { atNs: bigint; ms: number }[]) =>
      items
        .filter((x) => x.atNs <= end && x.atNs + BigInt(Math.round(x.ms * 1e6)) >= toggle.callNs)
        .reduce((sum, x) => sum + x.ms, 0);
    return {
      totalMs: ms(toggle.callNs, toggle.wireNs),
      callToStoreMs: ms(toggle.callNs, toggle.storeNs),
      storeToAgentMs: ms(toggle.storeNs, watch?.atNs),
      agentComputeMs: ms(watch?.atNs, requests[0]?.atNs),
      loaderMs: ms(requests[0]?.atNs, flipReply),
      toWireMs: ms(flipReply, toggle.wireNs),
      probeGapMs: ms(toggle.probeBeforeNs, toggle.wireNs),
      requests: requests
        .filter((r) => flip === undefined || r.atNs <= flip.atNs)
        .map((r) => {
          const reply = trace.replies.get(r.id);
          return `${r.command}${r.arg ? `:${r.arg}` : ''}=${reply ? ms(r.atNs, reply.atNs)!.toFixed(1) : '?'}`;
        })
        .join(' '),
      agentGcMs: overlap(trace.gcs),
      agentStallMs: overlap(trace.stalls),
      benchStallMs: overlap(benchStalls),
      eventsReadMeanwhile: trace.eventChunks
        .filter((c) => inWindow(c.atNs))
        .reduce((s, c) => s + c.events, 0),
    };
  });
}

/** Watches this process's event loop: a 2 ms timer 10 ms or more late is a stall. */
export function watchOwnStalls(): { stalls: Stall[]; stop(): void } {
  const stalls: Stall[] = [];
  let last = process.hrtime.bigint();
  const timer = setInterval(() => {
    const at = process.hrtime.bigint();
    const late = Number(at - last) / 1e6 - 2;
    if (late >= 10) stalls.push({ atNs: last, ms: late });
    last = at;
  }, 2);
  timer.unref();
  return { stalls, stop: () => clearInterval(timer) };
}

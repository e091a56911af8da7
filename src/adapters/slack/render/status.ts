/**
 * `/netpol status` and `netpol status`: each cluster, how current its snapshot is, its workers and
 * node agents (in sync or not, since when, last seen, drops per minute), its apply queue, the shared
 * queues and Redis, in one message. One set of lines, two dressings: Slack mrkdwn (renderStatus) and
 * plain text for the terminal (statusText). Pure: `report.at` is the clock.
 *
 * Problems first: a silent worker or an agent out of sync is listed before the healthy ones, and
 * a cluster's healthy agents are summed up past AGENTS_SHOWN so a large cluster fits one message.
 */
import { isSilent, type Heartbeat } from '../../../contracts/heartbeat';
import type { AgentStatus, ClusterStatus, QueueDepth, StatusReport } from '../../redis/heartbeat-status';
import { type Block, clip, context, message, section, SLACK_LIMITS, type SlackMessage } from './blocks';
import { packSections, totalChars } from './layout';
import { escapeMrkdwn, formatUtc, mention, plural } from './mrkdwn';
import { ago } from './status-notes';

/** Agents listed one per line; the rest (in sync) are counted. */
export const AGENTS_SHOWN = 15;
/** Slack's 3,000 characters a section, and what a message's blocks may hold in all (with room). */
const SECTION_CHARS = 2900;
const MESSAGE_CHARS = Math.min(SLACK_LIMITS.messageBlockChars, 12_000) - 600;
/** Blocks for clusters: 50 minus the head, the note and the footer. */
const CLUSTER_BLOCKS = 46;

/** How lines are dressed: Slack mrkdwn or plain text. */
interface Style {
  bold(text: string): string;
  code(text: string): string;
  text(text: string): string;
  ok: string;
  bad: string;
  idle: string;
}

const SLACK: Style = {
  bold: (t) => `*${escapeMrkdwn(t)}*`,
  code: (t) => `\`${escapeMrkdwn(t)}\``,
  text: escapeMrkdwn,
  ok: ':large_green_circle:',
  bad: ':red_circle:',
  idle: ':white_circle:',
};

const PLAIN: Style = {
  bold: (t) => t,
  code: (t) => t,
  text: (t) => t,
  ok: '[ok]',
  bad: '[!!]',
  idle: '[--]',
};

function depth(queue: QueueDepth | undefined): string {
  if (queue === undefined) return 'unknown';
  const parts = [`${queue.waiting} waiting`, `${queue.active} running`];
  if (queue.delayed > 0) parts.push(`${queue.delayed} delayed`);
  if (queue.failed > 0) parts.push(`${queue.failed} failed`);
  return parts.join(', ');
}

function redisLine(report: StatusReport, s: Style): string {
  const { redis } = report;
  if (!redis.ok) return `${s.bad} Redis does not answer: ${s.text(redis.error ?? 'unknown error')}`;
  const parts = [
    redis.version === undefined ? undefined : `v${redis.version}`,
    redis.latencyMs === undefined ? undefined : `ping ${redis.latencyMs} ms`,
    redis.usedMemory === undefined ? undefined : `${redis.usedMemory} used`,
    redis.uptimeSeconds === undefined
      ? undefined
      : `up ${ago(new Date(Date.parse(report.at) - redis.uptimeSeconds * 1000).toISOString(), report.at, '')}`,
  ].filter((p): p is string => p !== undefined);
  return `${s.ok} Redis answers: ${s.text(parts.join(', '))}`;
}

function queuesLine(report: StatusReport, s: Style): string {
  if (report.queues.length === 0) return '';
  return `Queues: ${report.queues.map((q) => `${s.code(q.name)} ${depth(q)}`).join(' · ')}`;
}

function inSyncText(beat: Heartbeat, at: string, s: Style): string {
  if (beat.inSync) return `in sync since ${formatUtc(beat.since)}`;
  const why = beat.reason === undefined ? '' : ` (${s.text(beat.reason)})`;
  return (
    `not in sync since ${formatUtc(beat.since)}${why}` +
    (beat.lastSync === undefined ? '' : `, last in sync ${ago(beat.lastSync, at)}`)
  );
}

function workerLine(beat: Heartbeat, at: string, s: Style): string {
  const who = `${s.code(beat.id)} v${s.text(beat.version)}`;
  const now = new Date(at);
  if (beat.stoppedAt !== undefined) return `${s.bad} ${who}: stopped ${ago(beat.stoppedAt, at)}`;
  if (isSilent(beat, now)) return `${s.bad} ${who}: silent, last seen ${ago(beat.at, at)}`;
  const mark = beat.inSync ? s.ok : s.bad;
  return `${mark} ${who}: ${inSyncText(beat, at, s)}, last seen ${ago(beat.at, at)}, ${plural(beat.queueDepth, 'job')} queued`;
}

function agentHealthy(agent: AgentStatus, now: Date): boolean {
  return agent.inSync && agent.stoppedAt === undefined && !isSilent(agent, now);
}

function agentLine(agent: AgentStatus, at: string, s: Style): string {
  const who = `${s.code(agent.node)} v${s.text(agent.version)}`;
  const drops = `${agent.dropsPerMinute} drops/min`;
  if (agent.stoppedAt !== undefined) return `${s.bad} ${who}: stopped ${ago(agent.stoppedAt, at)}`;
  if (isSilent(agent, new Date(at))) return `${s.bad} ${who}: silent, last seen ${ago(agent.at, at)}`;
  const buffered = agent.queueDepth > 0 ? `, ${agent.queueDepth} drop events not yet sent` : '';
  return `${agent.inSync ? s.ok : s.bad} ${who}: ${inSyncText(agent, at, s)}, ${drops}${buffered}`;
}

function snapshotLine(cluster: ClusterStatus, at: string, s: Style): string {
  const { liveness, snapshot } = cluster;
  const contents =
    snapshot === undefined
      ? ''
      : ` (${plural(snapshot.namespaces, 'namespace')}, ${plural(snapshot.pods, 'pod')}, ${plural(snapshot.policies, 'policy', 'policies')})`;
  if (snapshot === undefined) {
    return `${s.bad} ${s.bold(cluster.cluster)}: no snapshot: no worker has reported this cluster`;
  }
  const asOf = liveness.snapshotAsOf ?? snapshot.updatedAt;
  if (liveness.workerAlive) return `${s.ok} ${s.bold(cluster.cluster)}: snapshot current${contents}`;
  const worker =
    liveness.lastWorker === undefined
      ? 'no worker heartbeat in the last hour'
      : `its worker was last seen ${ago(liveness.lastWorker.at, at)}${liveness.lastWorker.stoppedAt === undefined ? '' : ' (stopped)'}`;
  return `${s.bad} ${s.bold(cluster.cluster)}: snapshot ${ago(asOf, at, 'old')}${contents}: ${worker}`;
}

function clusterLines(cluster: ClusterStatus, at: string, s: Style): string[] {
  const now = new Date(at);
  const lines = [snapshotLine(cluster, at, s)];
  if (!cluster.configured) lines.push('    (not configured in the bot: only its heartbeats were found)');
  lines.push(`    apply queue: ${depth(cluster.applyQueue)}`);
  lines.push(
    cluster.workers.length === 0 ? `    workers: none reporting` : `    workers (${cluster.workers.length}):`,
  );
  for (const worker of cluster.workers) lines.push(`      ${workerLine(worker, at, s)}`);
  const healthy = cluster.agents.filter((a) => agentHealthy(a, now));
  const drops =
    cluster.dropsPerMinute === undefined
      ? 'drops unknown'
      : `${cluster.dropsPerMinute}${cluster.dropsCapped === true ? '+' : ''} drops/min`;
  lines.push(
    cluster.agents.length === 0
      ? `    node agents: none reporting; ${drops}`
      : `    node agents (${cluster.agents.length}, ${healthy.length} in sync): ${drops}`,
  );
  const ordered = [
    ...cluster.agents.filter((a) => !agentHealthy(a, now)),
    ...healthy.sort((a, b) => b.dropsPerMinute - a.dropsPerMinute),
  ];
  for (const agent of ordered.slice(0, AGENTS_SHOWN)) lines.push(`      ${agentLine(agent, at, s)}`);
  if (ordered.length > AGENTS_SHOWN) lines.push(`      …and ${ordered.length - AGENTS_SHOWN} more in sync`);
  return lines;
}

function healthy(cluster: ClusterStatus, now: Date): boolean {
  return cluster.liveness.workerAlive && cluster.agents.every((a) => agentHealthy(a, now));
}

/** One line for a cluster, when the whole report does not fit a message. */
function compactLine(cluster: ClusterStatus, at: string, s: Style): string {
  const now = new Date(at);
  const live = cluster.workers.filter((w) => w.stoppedAt === undefined && !isSilent(w, now)).length;
  const inSync = cluster.agents.filter((a) => agentHealthy(a, now)).length;
  const drops =
    cluster.dropsPerMinute === undefined ? 'drops unknown' : `${cluster.dropsPerMinute} drops/min`;
  return (
    `${healthy(cluster, now) ? s.ok : s.bad} ${s.bold(cluster.cluster)}: workers ${live}/${cluster.workers.length} live, ` +
    `agents ${inSync}/${cluster.agents.length} in sync, ${drops}, apply queue ${depth(cluster.applyQueue)}`
  );
}

function summary(report: StatusReport): string {
  if (!report.redis.ok) return 'netpol status: Redis does not answer';
  const now = new Date(report.at);
  const silent = report.clusters.filter((c) => !c.liveness.workerAlive).map((c) => c.cluster);
  const agentsOut = report.clusters.reduce(
    (n, c) => n + c.agents.filter((a) => !agentHealthy(a, now)).length,
    0,
  );
  const problems = [
    ...(silent.length === 0 ? [] : [`no live worker for ${silent.join(', ')}`]),
    ...(agentsOut === 0 ? [] : [`${plural(agentsOut, 'node agent')} not in sync`]),
  ];
  return `netpol status: ${plural(report.clusters.length, 'cluster')}, ${problems.length === 0 ? 'all reporting' : problems.join('; ')}`;
}

/** The terminal's form (`netpol status`). */
export function statusText(report: StatusReport): string {
  const lines = [
    `${summary(report)} (at ${formatUtc(report.at)}, prefix ${report.prefix})`,
    redisLine(report, PLAIN),
  ];
  const queues = queuesLine(report, PLAIN);
  if (queues !== '') lines.push(queues);
  for (const cluster of report.clusters) lines.push('', ...clusterLines(cluster, report.at, PLAIN));
  return `${lines.join('\n')}\n`;
}

export interface StatusWhere {
  user?: string;
}

export function renderStatus(report: StatusReport, where: StatusWhere = {}): SlackMessage {
  const head = [`:satellite: ${escapeMrkdwn(summary(report))}`, redisLine(report, SLACK)];
  const queues = queuesLine(report, SLACK);
  if (queues !== '') head.push(queues);
  const blocks: Block[] = [section(head.join('\n'))];
  const full = report.clusters.map((c) =>
    section(clip(clusterLines(c, report.at, SLACK).join('\n'), SECTION_CHARS)),
  );
  if (full.length <= CLUSTER_BLOCKS && totalChars([...blocks, ...full]) <= MESSAGE_CHARS) {
    blocks.push(...full);
  } else {
    // Too much for one message: a line per cluster, those with a problem first.
    const now = new Date(report.at);
    const ordered = [...report.clusters].sort((a, b) => Number(healthy(a, now)) - Number(healthy(b, now)));
    const lines = ordered.map((c) => compactLine(c, report.at, SLACK));
    let shown = 0;
    for (const packed of packSections(lines)) {
      if (blocks.length >= CLUSTER_BLOCKS || totalChars([...blocks, packed.block]) > MESSAGE_CHARS) break;
      blocks.push(packed.block);
      shown += packed.lines;
    }
    if (shown < report.clusters.length)
      blocks.push(
        section(
          `_…${plural(report.clusters.length - shown, 'more cluster')} not shown: \`netpol status\` lists all._`,
        ),
      );
  }
  const footer = [`at ${formatUtc(report.at)}`];
  if (where.user !== undefined && where.user !== '') footer.push(mention(where.user));
  blocks.push(context(footer.join(' · ')));
  return message(summary(report), blocks);
}

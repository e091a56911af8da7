/**
 * The bot bench's Slack side: signed slash commands and button clicks sent to the control plane's
 * Bolt receiver the way Slack sends them, each timed from the moment it is sent; the answers are
 * awaited through the stand-ins' event-driven waits (response_url posts, Web API calls, the
 * Kubernetes store's change callback), never by sleeping or polling. One driver per control plane,
 * whether the bot and the worker are processes of their own (process-plane.ts) or share this one
 * (src/devtools/control-plane.ts): the driver only needs the stand-ins and the bot's URL.
 */
import { performance } from 'node:perf_hooks';
import type { Queue } from 'bullmq';
import { ANNOTATIONS } from '../src/core/policy/provenance';
import { applyJobId, type ApplyJob } from '../src/contracts/queues';
import type { RequestStore } from '../src/adapters/redis/request-store';
import { ACTION_IDS } from '../src/adapters/slack/render/action-ids';
import { ALICE, APPROVAL_CHANNEL, BOB, buttonValue, REQUEST_CHANNEL } from '../src/devtools/control-plane';
import type { KubeApiStandIn } from '../src/devtools/kube-api';
import { blockActionsBody, postToBolt, slashCommandBody } from '../src/devtools/slack/slack-signer';
import { TEST_SIGNING_SECRET } from '../src/devtools/slack/slack-test-identity';
import type { ResponseUrlPost, SlackWebApiStandIn } from '../src/devtools/slack/slack-web-api-stand-in';
import { runClients, underLoad, type PhaseLoad, type ProcessIds } from './latency';

const WAIT_MS = 15_000;

/** What the driver needs of a control plane: the stand-ins, and where Bolt listens. */
export interface BenchPlane {
  slack: SlackWebApiStandIn;
  kube: KubeApiStandIn;
  /** Bolt's HTTP receiver: http://host:port/slack/events. */
  eventsUrl: string;
  /** The first response_url post made on that id. */
  replyOn(responseUrlId: string, timeoutMs?: number): Promise<ResponseUrlPost>;
}

export interface PendingRequest {
  requestId: string;
  approvalTs: string;
  policies: { namespace: string; name: string }[];
}

export interface BotDriverOptions {
  plane: BenchPlane;
  /** Over its own Redis connection: reads records and audit trails. */
  requests: RequestStore;
  /** The cluster's apply queue, read for its jobs' stamps only. */
  applyQueue: Queue<ApplyJob>;
  /** Command `index` asks for port `firstPort + index`. */
  firstPort: number;
  /**
   * How long a submit waits for its approval message: the bot paces posts to one channel (1 s apart
   * as deployed), so the last of a burst of submits waits for all before it. Default 15 s.
   */
  approvalPostTimeoutMs?: number;
  /** Processes besides this one whose CPU time each phase reports (name -> pid). */
  processes?: ProcessIds;
}

export class BotDriver {
  private seq = 0;
  private readonly plane: BenchPlane;
  readonly processes: ProcessIds;

  constructor(private readonly options: BotDriverOptions) {
    this.plane = options.plane;
    this.processes = options.processes ?? {};
  }

  /** Deterministic, and every command differs (so does every policy's name). */
  commandText(index: number): string {
    return `allow frontend nginx to backend on tcp/${this.options.firstPort + index}`;
  }

  /** One forged request of the size of a command; Bolt answers 401 before any listener runs. */
  async forged(index: number): Promise<number> {
    const body = slashCommandBody({
      text: this.commandText(index),
      user_id: ALICE,
      channel_id: REQUEST_CHANNEL,
      response_url: `${this.plane.slack.url}/response-url/unbound-${index}`,
    });
    const http = await postToBolt(this.plane.eventsUrl, body, {
      signingSecret: TEST_SIGNING_SECRET,
      forgeSignature: true,
    });
    if (http.status !== 401) throw new Error(`a forged signature got HTTP ${http.status}, not 401`);
    return http.elapsedMs;
  }

  /** Types a command; returns the ack time, the time to the preview, and the preview's draft id. */
  async command(index: number): Promise<{ ackMs: number; previewMs: number; draftId: string }> {
    const id = `bench-cmd-${++this.seq}`;
    const body = slashCommandBody({
      text: this.commandText(index),
      user_id: ALICE,
      channel_id: REQUEST_CHANNEL,
      response_url: this.plane.slack.responseUrl(id, { channel: REQUEST_CHANNEL, user: ALICE }),
    });
    const sent = performance.now();
    const http = await postToBolt(this.plane.eventsUrl, body, { signingSecret: TEST_SIGNING_SECRET });
    if (http.status !== 200) throw new Error(`command ${index} got HTTP ${http.status}: ${http.body}`);
    const preview = await this.plane.replyOn(id, WAIT_MS);
    return {
      ackMs: http.elapsedMs,
      previewMs: preview.monotonicMs - sent,
      draftId: buttonValue(preview.blocks, ACTION_IDS.submit),
    };
  }

  /** Submits a preview (untimed setup) and waits for its approval message to be posted. */
  async submit(draftId: string): Promise<PendingRequest> {
    const id = `bench-submit-${++this.seq}`;
    const body = blockActionsBody({
      user: { id: ALICE },
      channel: { id: REQUEST_CHANNEL },
      message: { ts: '0.0' },
      actions: [{ action_id: ACTION_IDS.submit, block_id: 'actions', value: draftId }],
      response_url: this.plane.slack.responseUrl(id, { channel: REQUEST_CHANNEL, user: ALICE }),
      ephemeral: true,
    });
    const http = await postToBolt(this.plane.eventsUrl, body, { signingSecret: TEST_SIGNING_SECRET });
    if (http.status !== 200) throw new Error(`submit of ${draftId} got HTTP ${http.status}`);
    await this.plane.replyOn(id, WAIT_MS);
    // The approval message's text names the request: a cheap match, unlike scanning every block.
    const posted = await this.plane.slack.waitForCall(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.response.ok === true &&
        c.args.channel === APPROVAL_CHANNEL &&
        typeof c.args.text === 'string' &&
        c.args.text.includes(draftId),
      this.options.approvalPostTimeoutMs ?? WAIT_MS,
    );
    const record = await this.options.requests.get(draftId);
    if (record === undefined) throw new Error(`request ${draftId} was not stored on submit`);
    return {
      requestId: draftId,
      approvalTs: String(posted.response.ts),
      policies: record.policies.map((p) => ({ namespace: p.metadata.namespace, name: p.metadata.name })),
    };
  }

  /** Clicks Approve as BOB; returns the click's ack time and click sent -> every policy stored. */
  async approve(pending: PendingRequest): Promise<ApproveSample> {
    const { plane } = this;
    const id = `bench-approve-${++this.seq}`;
    const body = blockActionsBody({
      user: { id: BOB },
      channel: { id: APPROVAL_CHANNEL },
      message: plane.slack.apiMessage(APPROVAL_CHANNEL, pending.approvalTs) ?? { ts: pending.approvalTs },
      actions: [{ action_id: ACTION_IDS.approve, block_id: 'actions', value: pending.requestId }],
      response_url: plane.slack.responseUrl(id, {
        channel: APPROVAL_CHANNEL,
        user: BOB,
        messageTs: pending.approvalTs,
      }),
    });
    let appliedAt: number | undefined;
    const applied = plane.kube.waitFor((store) => {
      const all = pending.policies.every((p) => {
        const stored = store.get('networkpolicies', p.namespace, p.name) as
          { metadata?: { annotations?: Record<string, string> } } | undefined;
        return stored?.metadata?.annotations?.[ANNOTATIONS.requestId] === pending.requestId;
      });
      if (all) appliedAt ??= performance.now();
      return all;
    }, WAIT_MS);
    applied.catch(() => undefined); // awaited below; a failed click must not leave it unhandled
    const sentWall = Date.now();
    const sent = performance.now();
    const http = await postToBolt(plane.eventsUrl, body, { signingSecret: TEST_SIGNING_SECRET });
    if (http.status !== 200) throw new Error(`approve of ${pending.requestId} got HTTP ${http.status}`);
    await applied;
    return {
      requestId: pending.requestId,
      ackMs: http.elapsedMs,
      appliedMs: (appliedAt as number) - sent,
      sentWall,
    };
  }

  /**
   * Where an approval's time went, from wall-clock stamps (1 ms resolution) the system keeps anyway:
   * the audit trail's `approved` (the bot's decision) and the apply job's `timestamp` (enqueued) and
   * `processedOn` (a worker took it), then the moment the object was stored.
   */
  async stages({ requestId, sentWall, appliedMs }: ApproveSample): Promise<ApprovalStages> {
    const audit = await this.options.requests.audit(requestId);
    const approved = audit.find((e) => e.action === 'approved');
    const job = await this.options.applyQueue.getJob(applyJobId(requestId));
    if (approved === undefined || job?.processedOn === undefined) {
      throw new Error(`request ${requestId} has no approved audit entry or no processed apply job`);
    }
    const decided = Date.parse(approved.at);
    return {
      toDecisionMs: decided - sentWall,
      toEnqueuedMs: job.timestamp - decided,
      inQueueMs: job.processedOn - job.timestamp,
      applyingMs: sentWall + appliedMs - job.processedOn,
    };
  }
}

export interface ApprovalStages {
  /** Click sent -> the bot stamps its decision (receive, verify, ack, read, check approvers). */
  toDecisionMs: number;
  /** Decision stamped -> the apply job is created (the decision's Lua transition). */
  toEnqueuedMs: number;
  /** Job created -> a worker takes it (the add, waiting for one of the worker's slots, the pickup). */
  inQueueMs: number;
  /** Worker takes it -> the object is stored (read, hash, transition, ownership GET, apply PATCH). */
  applyingMs: number;
}

export interface ApproveSample {
  requestId: string;
  ackMs: number;
  appliedMs: number;
  /** Date.now() when the click was sent, to place the audit stamps. */
  sentWall: number;
}

export interface ApprovalRun {
  ack: number[];
  applied: number[];
  stages: { [K in keyof ApprovalStages]: number[] };
  load: PhaseLoad;
}

export interface CommandRun {
  ack: number[];
  preview: number[];
  /** The previews' draft ids, by command index minus `first`. */
  drafts: string[];
  load: PhaseLoad;
}

/** Types commands `first` .. `first + count - 1` from `clients` concurrent clients. */
export async function commands(
  driver: BotDriver,
  options: { first: number; count: number; clients: number },
): Promise<CommandRun> {
  const run: Omit<CommandRun, 'load'> = { ack: [], preview: [], drafts: [] };
  const load = await underLoad(
    () =>
      runClients(options.count, options.clients, async (i) => {
        const result = await driver.command(options.first + i);
        run.ack.push(result.ackMs);
        run.preview.push(result.previewMs);
        run.drafts[i] = result.draftId;
      }),
    driver.processes,
  );
  return { ...run, load };
}

/** Approves every request of `list`, `concurrency` at a time; reads the stamps afterwards. */
export async function approvals(
  driver: BotDriver,
  list: readonly PendingRequest[],
  concurrency: number,
): Promise<ApprovalRun> {
  const samples: ApproveSample[] = [];
  const load = await underLoad(
    () =>
      runClients(list.length, concurrency, async (i) => void samples.push(await driver.approve(list[i]!))),
    driver.processes,
  );
  const stages: ApprovalStages[] = [];
  for (const sample of samples) stages.push(await driver.stages(sample));
  return {
    ack: samples.map((s) => s.ackMs),
    applied: samples.map((s) => s.appliedMs),
    stages: {
      toDecisionMs: stages.map((s) => s.toDecisionMs),
      toEnqueuedMs: stages.map((s) => s.toEnqueuedMs),
      inQueueMs: stages.map((s) => s.inQueueMs),
      applyingMs: stages.map((s) => s.applyingMs),
    },
    load,
  };
}

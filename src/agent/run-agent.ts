/**
 * Wires one node's agent from its validated AgentConfig: the eBPF dataplane (pinned maps adopted),
 * the Enforcer, one shared informer each for namespaces, pods and NetworkPolicies (all of the
 * cluster: every pod's address needs an identity), the drop-event publisher (Redis Stream per
 * cluster), the metrics and the HTTP endpoints (/healthz, /readyz, /metrics). Reads no environment:
 * main.ts does, once.
 *
 * Informer events update the Enforcer's index synchronously and schedule a flush; flushes run one
 * at a time and only once every informer has listed (so a half-listed cluster is never enforced:
 * until then the pinned maps of the previous agent, or "not ready" for new pods, hold). A failed
 * flush is retried after a capped backoff; /readyz is 503 until the maps hold the current answer.
 * The sync latency metric runs from the oldest informer event a successful flush covers to its end.
 *
 * Lifecycle: startAgent() resolves once the health server listens (readiness comes later);
 * close() stops the informers, waits for the flush in flight and closes the helper, leaving the
 * pinned maps and attached programs in place: enforcement outlives the agent by design.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import Redis from 'ioredis';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { DataplaneEvent } from '../adapters/bpf/abi';
import { BpfDataplane } from '../adapters/bpf/bpf-dataplane';
import { Informer, backoffDelay, type Backoff } from '../adapters/kube/informer';
import { kindSources } from '../adapters/kube/kinds';
import { loadKubeConfig } from '../adapters/kube/kube-client';
import { dropStreamKey } from '../contracts/drop-events';
import type { AgentConfig } from '../platform/config/agent-config';
import { startMetricsServer, type Readiness } from '../platform/metrics-server';
import { DropEventPublisher, type DropEventPublisherStats } from './drop-event-publisher';
import { dropEventOf } from './drop-event-of';
import { FlowReporter } from './flow-reporter';
import { FlowStore } from '../adapters/redis/flow-store';
import { Enforcer, type DataplaneMaps } from './enforcer';
import { hostVethFinder, type FindHostVeth } from './host-veth';
import { closeUnclaimedVeths, guardNewLinks, logLinkNotice, type LinkWatching } from './new-link-guard';
import { AgentMetrics, type DataplaneReadings } from './metrics';
import { deleteOf, upsertOf, type WatchedKind } from './object-events';
import { agentHeartbeat } from './heartbeat';
import { logBudget } from './log-budget';

/** "packet dropped" lines a second at most; the rest are counted in one line (log-budget.ts). */
const DROP_LOG_LINES_PER_SECOND = 20;

export interface AgentDeps {
  log: Logger;
  /** Default: loadKubeConfig(config.kubeconfig). */
  kubeConfig?: KubeConfig;
  /** Default: a connection to config.redisUrl (closed by the agent). */
  redis?: Redis;
  /** Default: BpfDataplane.open over config.pinDir (closed by the agent). */
  openDataplane?: (
    onEvent: (event: DataplaneEvent) => void,
  ) => Promise<DataplaneMaps & DataplaneReadings & Closable & Partial<LinkWatching>>;
  /** Default: routes in config.nodeNetns. */
  findHostVeth?: FindHostVeth;
  clock?: () => Date;
  /** Relist and flush-retry backoff. Default 500 ms, capped at 30 s. */
  backoff?: Backoff;
  /** Node.js process metrics on /metrics too. Default true. */
  processMetrics?: boolean;
  /** How often the heartbeat is published (contracts/heartbeat.ts). Default 10 s. */
  heartbeatIntervalMs?: number;
}

interface Closable {
  close(): Promise<void>;
}

export interface Agent {
  readonly healthPort: number;
  readiness(): Readiness;
  dropEventStats(): DropEventPublisherStats;
  close(): Promise<void>;
}

const KINDS: readonly WatchedKind[] = ['Namespace', 'Pod', 'NetworkPolicy'];

export async function startAgent(config: AgentConfig, deps: AgentDeps): Promise<Agent> {
  const log = deps.log.child({ node: config.nodeName });
  const clock = deps.clock ?? (() => new Date());
  const backoff = deps.backoff ?? { initialMs: 500, maxMs: 30_000 };
  const redis = deps.redis ?? new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  const ownsRedis = deps.redis === undefined;
  redis.on('error', (err: unknown) => log.debug({ err }, 'redis connection error'));
  const publisher = new DropEventPublisher({
    redis,
    streamKey: dropStreamKey(config.prefix, config.cluster),
    maxLen: config.dropStreamMaxLen,
    log,
    // Batched, coalesced entries (issue 10): workers that read them must be upgraded first (README).
    // Coalescing folds within a batch: batches of 1,000 (a buffer of four) cost 3.4 µs of CPU per
    // drop end to end in bench:alerts, the default batches of 100 cost 8.1 µs.
    eventsPerEntry: 100,
    coalesce: true,
    batchSize: 1000,
    capacity: 4000,
  });

  // Observed flows for /netpol suggest (issue 10): sampled allowed flows and drops, aggregated.
  const flows = new FlowReporter({
    cluster: config.cluster,
    node: config.nodeName,
    store: new FlowStore(redis, config.prefix, { retentionMs: config.flows.retentionMs }),
    intervalMs: config.flows.intervalMs,
    maxKeys: config.flows.maxKeys,
    clock,
    log,
  });

  // The Enforcer is made after the dataplane, whose events arrive through this closure.
  const built: { enforcer?: Enforcer } = {};
  const dropLogs = logBudget(DROP_LOG_LINES_PER_SECOND);
  const onEvent = (event: DataplaneEvent): void => {
    const enforcer = built.enforcer;
    if (enforcer !== undefined) flows.add(event, enforcer);
    if (event.kind !== 'drop' || enforcer === undefined) return;
    const drop = dropEventOf(event, {
      cluster: config.cluster,
      node: config.nodeName,
      now: clock(),
      podOfEndpoint: (id) => enforcer.podOfEndpoint(id),
      podOf: (address) => enforcer.podOf(address),
    });
    const notLogged = dropLogs.takeSkipped();
    if (notLogged > 0)
      log.info({ count: notLogged }, 'packets dropped, not logged one by one (over the log budget)');
    if (dropLogs.take())
      log.info(
        {
          pod: drop.pod && `${drop.pod.namespace}/${drop.pod.name}`,
          peer: drop.peer ? `${drop.peer.namespace}/${drop.peer.name}` : drop.peerAddress,
          direction: drop.direction,
          protocol: drop.protocol,
          port: drop.destinationPort,
          reason: drop.reason,
        },
        'packet dropped',
      );
    publisher.publish(drop);
  };

  const dataplane = deps.openDataplane
    ? await deps.openDataplane(onEvent)
    : await BpfDataplane.open({
        pinDir: config.pinDir,
        objectPath: config.bpfObjectPath,
        loaderPath: config.bpfLoaderPath,
        config: { allowSampleOneIn: config.flows.sampleOneIn },
        onEvent,
        onLog: (line) => log.debug({ line }, 'loader helper'),
        onLink: (notice) => logLinkNotice(log, notice),
      });
  // Before anything else: a veth that appears from here on is closed at once (new-link-guard.ts).
  const watching = await guardNewLinks(dataplane, config.nodeNetns, config.hostVethPrefixes, log);
  const theEnforcer = new Enforcer({
    dataplane,
    findHostVeth: deps.findHostVeth ?? hostVethFinder(config.nodeNetns),
    nodeName: config.nodeName,
    nodeNetns: config.nodeNetns,
    nodeAddresses: config.nodeAddresses,
    log,
  });
  built.enforcer = theEnforcer;
  await theEnforcer.adopt();
  const metrics = new AgentMetrics({
    dataplane,
    localEndpoints: () => theEnforcer.localEndpoints(),
    ready: () => readiness().ready,
    dropEventStats: () => publisher.stats(),
    flowStats: () => flows.stats(),
    cluster: config.cluster,
    log,
    processMetrics: deps.processMetrics,
  });

  // ---- flushing ----
  let flushing: Promise<void> | undefined;
  let again = false;
  let failures = 0;
  let lastError: string | undefined;
  let flushedOnce = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;
  /** performance.now() of the oldest informer event no successful flush has covered yet. */
  let unflushedSince: number | undefined;

  const kubeConfig = deps.kubeConfig ?? loadKubeConfig(config.kubeconfig);
  const sources = kindSources(kubeConfig);
  const informers = new Map<WatchedKind, Informer>();
  const allSynced = () => [...informers.values()].every((informer) => informer.synced);

  const schedule = (): void => {
    if (closed || !allSynced()) return;
    if (flushing !== undefined) {
      again = true;
      return;
    }
    flushing = (async () => {
      do {
        again = false;
        const started = Date.now();
        const since = unflushedSince;
        unflushedSince = undefined;
        try {
          await theEnforcer.flush();
          if (!flushedOnce && watching) {
            // Every pod the API knows is attached now: what else has a watched name is a pod
            // created while the agent was down (new-link-guard.ts).
            await closeUnclaimedVeths({
              netns: config.nodeNetns,
              prefixes: config.hostVethPrefixes,
              claimed: () => dataplane.endpointIfindexes(),
              attach: (netns, ifname) => dataplane.attach(netns, ifname),
              log,
            });
          }
          if (since !== undefined) metrics.observeSync((performance.now() - since) / 1000);
          failures = 0;
          lastError = undefined;
          if (!flushedOnce) log.info({ ms: Date.now() - started }, 'maps in sync');
          flushedOnce = true;
        } catch (err) {
          failures++;
          lastError = (err as Error).message;
          metrics.countReconcileError();
          if (since !== undefined) unflushedSince = Math.min(since, unflushedSince ?? since);
          log.error({ err, failures }, 'map sync failed');
          clearTimeout(retryTimer);
          retryTimer = setTimeout(schedule, backoffDelay(failures - 1, backoff));
          break;
        }
        // A local pod whose veth is missing stays pending: look again after a backoff.
        if (theEnforcer.pending && !again) {
          clearTimeout(retryTimer);
          retryTimer = setTimeout(schedule, backoff.initialMs);
        }
      } while (again && !closed);
    })().finally(() => {
      flushing = undefined;
    });
  };

  // ---- informers ----
  const apply = (kind: WatchedKind, run: () => void, key: string): void => {
    try {
      run();
    } catch (err) {
      log.warn({ err, kind, object: key }, 'object not enforced');
    }
  };
  const relisted = (kind: WatchedKind, informer: Informer): void => {
    const present = new Set(informer.objects.keys());
    const known =
      kind === 'Pod'
        ? theEnforcer.podKeys()
        : kind === 'Namespace'
          ? theEnforcer.index.state().namespaces.map((ns) => `/${ns.name}`)
          : theEnforcer.index.state().policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    for (const key of known)
      if (!present.has(key)) apply(kind, () => theEnforcer.apply(deleteOf(kind, key)), key);
    for (const [key, object] of informer.objects) {
      apply(
        kind,
        () => {
          const change = upsertOf(kind, object);
          theEnforcer.apply(change.event, change.facts);
        },
        key,
      );
    }
  };
  for (const kind of KINDS) {
    const informer = new Informer({
      source: sources[kind],
      kubeConfig,
      log,
      backoff,
      onApiError: metrics.informerError,
    });
    informer.onChange((event) => {
      unflushedSince ??= performance.now();
      if (event.type === 'listed') relisted(kind, informer);
      else if (event.type === 'deleted')
        apply(kind, () => theEnforcer.apply(deleteOf(kind, event.key)), event.key);
      else if (event.type === 'added' || event.type === 'modified') {
        apply(
          kind,
          () => {
            const change = upsertOf(kind, event.object);
            theEnforcer.apply(change.event, change.facts);
          },
          event.key,
        );
      }
      schedule();
    });
    informers.set(kind, informer);
  }

  const readiness = (): Readiness => {
    if (!allSynced()) return { ready: false, reason: 'informers not synced' };
    if (lastError !== undefined) return { ready: false, reason: `map sync failing: ${lastError}` };
    if (!flushedOnce || theEnforcer.pending) return { ready: false, reason: 'maps not in sync yet' };
    return { ready: true };
  };
  const health = await startMetricsServer({ ...config.health, readiness, metrics });
  for (const informer of informers.values()) informer.start();
  const heartbeat = agentHeartbeat({
    redis,
    prefix: config.prefix,
    cluster: config.cluster,
    node: config.nodeName,
    readiness,
    dropEventStats: () => publisher.stats(),
    ...(deps.heartbeatIntervalMs === undefined ? {} : { intervalMs: deps.heartbeatIntervalMs }),
    clock,
    log,
  });
  heartbeat.start();
  flows.start();
  log.info({ healthPort: health.port }, 'agent started');

  return {
    healthPort: health.port,
    readiness,
    dropEventStats: () => publisher.stats(),
    async close() {
      closed = true;
      await heartbeat.stop();
      for (const informer of informers.values()) informer.stop();
      clearTimeout(retryTimer);
      await flushing;
      await health.close();
      await publisher.close();
      await flows.close();
      await dataplane.close();
      if (ownsRedis) redis.disconnect();
      log.info('agent stopped');
    },
  };
}

/**
 * Loads and validates the bot's and a worker's configuration once at startup: environment
 * variables plus, for the bot, an optional YAML file (NETPOL_CONFIG). What each value may be is
 * described once in schema.ts (zod); here the values are read from where they come from, checked
 * against those schemas, combined (a variable wins over the file's field, then the default) and
 * checked across fields. Every problem is collected and reported at once, each prefixed with the
 * variable or file field it is about; the result is frozen.
 */
import { readFileSync } from 'node:fs';
import { yamlLibrary } from '../../core/yaml-library';
import { isObj, type Obj } from '../../core/k8s/object-reader';
import { emptyRecord } from '../../core/own-keys';
import { DEFAULT_KEYWORD_OPTIONS, type KeywordOptions } from '../../core/policy/keywords';
import { DEFAULT_LABEL_KEYS } from '../../core/request/resolve-request';
import type {
  AlertsConfig,
  ApproverRule,
  BotConfig,
  ListenAddress,
  RequestLanguageConfig,
  WorkerConfig,
} from './config';
import { deepFreeze, Problems, readVariable, type Env } from './problems';
import {
  BOT_ENV,
  configFileShape,
  DEFAULT_METRICS_PORTS,
  WORKER_ENV,
  type ConfigFile,
  type EnvVar,
} from './schema';

export { parseDuration } from './schema';

export type { Env };

const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_ALERT_WINDOW_MS = 5 * 60_000;
export const DEFAULT_BOT_METRICS_PORT = DEFAULT_METRICS_PORTS.bot;
export const DEFAULT_WORKER_METRICS_PORT = DEFAULT_METRICS_PORTS.worker;

function readConfigFile(path: string, problems: Problems, source = 'NETPOL_CONFIG'): Obj {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.add(
      source,
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
    return {};
  }
  const { LineCounter, parseDocument } = yamlLibrary();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    problems.add(`${path}:${line}:${col}`, `invalid YAML: ${error.message.split('\n')[0]}`);
    return {};
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isObj(value)) {
    problems.add(path, 'must be a YAML mapping (key: value)');
    return {};
  }
  return value;
}

const FILE_FIELDS = Object.keys(configFileShape) as (keyof typeof configFileShape)[];

/**
 * The file's fields, each checked by its own schema so that one bad field leaves the others
 * usable (for the checks across fields); unknown fields are named with the file's path.
 */
function fileFields(file: Obj, path: string | undefined, problems: Problems): Partial<ConfigFile> {
  const out: Partial<Record<keyof ConfigFile, unknown>> = {};
  for (const key of Object.keys(file)) {
    if (!(FILE_FIELDS as string[]).includes(key))
      problems.add(`${path}: ${key}`, `unknown field (expected one of ${FILE_FIELDS.join(', ')})`);
  }
  for (const key of FILE_FIELDS) {
    const result = configFileShape[key].safeParse(file[key]);
    if (result.success) out[key] = result.data;
    else problems.addIssues(key, result.error.issues);
  }
  return out as Partial<ConfigFile>;
}

function fileOf(path: string | undefined, problems: Problems, source = 'NETPOL_CONFIG'): Partial<ConfigFile> {
  const raw = path === undefined || path === '' ? {} : readConfigFile(path, problems, source);
  return fileFields(raw, path, problems);
}

function keywordOptions(file: Partial<ConfigFile>): KeywordOptions {
  const dns = file.dns ?? {};
  return {
    clusterCidrs: file.clusterCidrs ?? [...DEFAULT_KEYWORD_OPTIONS.clusterCidrs],
    dns: {
      namespace: dns.namespace ?? DEFAULT_KEYWORD_OPTIONS.dns.namespace,
      podLabels: dns.podLabels ?? { ...DEFAULT_KEYWORD_OPTIONS.dns.podLabels },
      port: dns.port ?? DEFAULT_KEYWORD_OPTIONS.dns.port,
    },
  };
}

function metricsListen(env: Env, defaultPort: number, problems: Problems): ListenAddress {
  return {
    port: readVariable(env, BOT_ENV.NETPOL_METRICS_PORT, problems) ?? defaultPort,
    host: readVariable(env, BOT_ENV.NETPOL_METRICS_HOST, problems) ?? '0.0.0.0',
  };
}

export function loadBotConfig(env: Env): BotConfig {
  const problems = new Problems();
  const file = fileOf(env.NETPOL_CONFIG, problems);
  const read = <V extends EnvVar>(variable: V) => readVariable(env, variable, problems);

  const botToken = env.SLACK_BOT_TOKEN ?? '';
  if (botToken === '') problems.add('SLACK_BOT_TOKEN', 'is required (the bot token, xoxb-...)');
  else read(BOT_ENV.SLACK_BOT_TOKEN);
  const appToken = read(BOT_ENV.SLACK_APP_TOKEN) ?? (env.SLACK_APP_TOKEN || undefined);
  const signingSecret = read(BOT_ENV.SLACK_SIGNING_SECRET);
  const mode = appToken !== undefined ? 'socket' : 'http';
  if (mode === 'http' && signingSecret === undefined) {
    problems.add(
      'SLACK_SIGNING_SECRET',
      'is required for the HTTP receiver (or set SLACK_APP_TOKEN for Socket Mode)',
    );
  }
  const apiUrl = read(BOT_ENV.SLACK_API_URL);

  const clusters = read(BOT_ENV.NETPOL_CLUSTERS) ?? file.clusters ?? ['default'];
  const defaultCluster =
    read(BOT_ENV.NETPOL_DEFAULT_CLUSTER) ??
    file.defaultCluster ??
    (clusters.length === 1 ? clusters[0] : undefined);
  // With several clusters and no default, every request must name its cluster (`/netpol @prod ...`).
  if (defaultCluster !== undefined && !clusters.includes(defaultCluster))
    problems.add('defaultCluster', `"${defaultCluster}" is not among the clusters (${clusters.join(', ')})`);

  const approvalChannel =
    env.NETPOL_APPROVAL_CHANNEL === undefined || env.NETPOL_APPROVAL_CHANNEL === ''
      ? file.approvalChannel
      : read(BOT_ENV.NETPOL_APPROVAL_CHANNEL);
  if (
    approvalChannel === undefined &&
    (env.NETPOL_APPROVAL_CHANNEL ?? '') === '' &&
    !problems.list.some((p) => p.startsWith('approvalChannel:'))
  )
    problems.add(
      'approvalChannel',
      'is required (NETPOL_APPROVAL_CHANNEL or approvalChannel: the channel ID where approvals are posted, like C0123ABCD)',
    );

  const defaultApprovers: ApproverRule = {
    users: [...(file.approvers?.default?.users ?? []), ...(read(BOT_ENV.NETPOL_APPROVERS) ?? [])],
    groups: [...(file.approvers?.default?.groups ?? [])],
  };
  // Null prototype: a namespace named `constructor` or `__proto__` is an ordinary key (own-keys.ts).
  const namespaces = file.approvers?.namespaces ?? emptyRecord<ApproverRule>();
  if (
    defaultApprovers.users.length === 0 &&
    defaultApprovers.groups.length === 0 &&
    Object.keys(namespaces).length === 0
  ) {
    problems.add(
      'approvers',
      'nobody may approve: set approvers.default (users or groups) or NETPOL_APPROVERS',
    );
  }

  const config: BotConfig = {
    slack: {
      mode,
      botToken,
      port: read(BOT_ENV.PORT) ?? 3000,
      host: read(BOT_ENV.HOST) ?? '0.0.0.0',
      ...(signingSecret === undefined ? {} : { signingSecret }),
      ...(appToken === undefined ? {} : { appToken }),
      ...(apiUrl === undefined ? {} : { apiUrl }),
    },
    redisUrl: read(BOT_ENV.REDIS_URL) ?? 'redis://127.0.0.1:6379',
    prefix: read(BOT_ENV.NETPOL_PREFIX) ?? file.prefix ?? 'netpol',
    clusters,
    defaultCluster: defaultCluster ?? '',
    approvalChannel: approvalChannel ?? '',
    approvers: { default: defaultApprovers, namespaces },
    requesters: {
      channels: file.requesters?.channels ?? [],
      users: file.requesters?.users ?? [],
    },
    readers: {
      channels: file.readers?.channels ?? [],
      users: file.readers?.users ?? [],
      groups: file.readers?.groups ?? [],
    },
    requestTtlMs: read(BOT_ENV.NETPOL_REQUEST_TTL) ?? file.requestTtl ?? DEFAULT_TTL_MS,
    labelKeys: file.labelKeys ?? [...DEFAULT_LABEL_KEYS],
    keywords: keywordOptions(file),
    logLevel: read(BOT_ENV.LOG_LEVEL) ?? file.logLevel ?? 'info',
    metrics: metricsListen(env, DEFAULT_BOT_METRICS_PORT, problems),
  };
  problems.throwIfAny('bot');
  return deepFreeze(config);
}

/**
 * The request-language part of the bot's configuration file (labelKeys, dns, clusterCidrs), for the
 * CLI: `netpol parse` reads words as the bot does. Same file, same schema: every field is checked.
 * No file: the defaults.
 */
export function loadRequestLanguageConfig(file: { path?: string; source: string }): RequestLanguageConfig {
  const problems = new Problems();
  const fields = fileOf(file.path, problems, file.source);
  const config: RequestLanguageConfig = {
    labelKeys: fields.labelKeys ?? [...DEFAULT_LABEL_KEYS],
    keywords: keywordOptions(fields),
  };
  problems.throwIfAny('request language');
  return deepFreeze(config);
}

function alertsConfig(env: Env, problems: Problems): AlertsConfig | undefined {
  if ((env.NETPOL_ALERT_CHANNEL ?? '') === '') {
    if ((env.NETPOL_ALERT_CHANNELS ?? '') !== '' || (env.NETPOL_ALERT_WINDOW ?? '') !== '')
      problems.add(
        'NETPOL_ALERT_CHANNEL',
        'is required when NETPOL_ALERT_CHANNELS or NETPOL_ALERT_WINDOW is set',
      );
    return undefined;
  }
  const defaultChannel = readVariable(env, WORKER_ENV.NETPOL_ALERT_CHANNEL, problems) ?? '';
  const channels = emptyRecord<string>();
  for (const item of readVariable(env, WORKER_ENV.NETPOL_ALERT_CHANNELS, problems) ?? []) {
    const [namespace = '', channel = ''] = item.split('=').map((s) => s.trim());
    channels[namespace] = channel;
  }
  const windowMs = readVariable(env, WORKER_ENV.NETPOL_ALERT_WINDOW, problems) ?? DEFAULT_ALERT_WINDOW_MS;
  return { defaultChannel, channels, windowMs };
}

export function loadWorkerConfig(env: Env, argv: readonly string[] = []): WorkerConfig {
  const problems = new Problems();
  let clusterArg: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--cluster') clusterArg = argv[++i] ?? '';
    else if (arg.startsWith('--cluster=')) clusterArg = arg.slice('--cluster='.length);
    else problems.add('arguments', `unknown argument "${arg}" (expected --cluster NAME)`);
  }
  // --cluster wins over NETPOL_CLUSTER, and is checked by the same schema.
  const clusterEnv = clusterArg === undefined ? env : { ...env, NETPOL_CLUSTER: clusterArg };
  const cluster = readVariable(clusterEnv, WORKER_ENV.NETPOL_CLUSTER, problems);
  if ((clusterEnv.NETPOL_CLUSTER ?? '') === '')
    problems.add('NETPOL_CLUSTER', 'is required (or --cluster NAME): the cluster this worker serves');
  const kubeconfig = readVariable(env, WORKER_ENV.KUBECONFIG, problems);
  const alerts = alertsConfig(env, problems);
  const config: WorkerConfig = {
    cluster: cluster ?? '',
    redisUrl: readVariable(env, WORKER_ENV.REDIS_URL, problems) ?? 'redis://127.0.0.1:6379',
    prefix: readVariable(env, WORKER_ENV.NETPOL_PREFIX, problems) ?? 'netpol',
    fieldManager: 'netpol',
    concurrency: readVariable(env, WORKER_ENV.NETPOL_WORKER_CONCURRENCY, problems) ?? 4,
    logLevel: readVariable(env, WORKER_ENV.LOG_LEVEL, problems) ?? 'info',
    metrics: metricsListen(env, DEFAULT_WORKER_METRICS_PORT, problems),
    ...(kubeconfig === undefined ? {} : { kubeconfig }),
    ...(alerts === undefined ? {} : { alerts }),
  };
  problems.throwIfAny('worker');
  return deepFreeze(config);
}

/**
 * Loads and validates the configuration once at startup: environment variables plus an optional
 * YAML file (NETPOL_CONFIG). Every problem is collected and reported at once, each naming the
 * variable or file field and what a valid value looks like; the result is frozen.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { NetpolError } from '../../core/errors';
import { yamlLibrary } from '../../core/yaml-library';
import { cidrProblem } from '../../core/k8s/cidr';
import { dns1123LabelProblem, labelKeyProblem } from '../../core/k8s/names';
import { isObj, type Obj } from '../../core/k8s/object-reader';
import { emptyRecord, recordOf } from '../../core/own-keys';
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

export type Env = Record<string, string | undefined>;

const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const GROUP_ID = /^S[A-Z0-9]{2,}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
/** Apart, so a bot and a worker started by hand on one machine do not collide (the agent has 9876). */
export const DEFAULT_BOT_METRICS_PORT = 9464;
export const DEFAULT_WORKER_METRICS_PORT = 9465;

class Problems {
  readonly list: string[] = [];
  add(where: string, message: string): void {
    this.list.push(`${where}: ${message}`);
  }
  throwIfAny(what: string): void {
    if (this.list.length > 0) {
      throw new NetpolError(
        'E_CONFIG',
        `invalid ${what} configuration (${this.list.length} problem${this.list.length === 1 ? '' : 's'}): ${this.list.join('; ')}`,
      );
    }
  }
}

/** "24h", "30m", "90s", "1500ms" or a number of milliseconds. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(value.trim());
  if (match === null) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 'ms') as 'ms'];
  const ms = Number(match[1]) * unit;
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}

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

/** A list given as YAML or as an environment variable's comma-separated text. */
function commaList(value: unknown): unknown {
  return typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : value;
}

function stringList(
  value: unknown,
  where: string,
  pattern: RegExp,
  example: string,
  problems: Problems,
): string[] {
  if (value === undefined || value === null) return [];
  const items = commaList(value);
  if (!Array.isArray(items)) {
    problems.add(where, 'must be a list');
    return [];
  }
  const out: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string' || !pattern.test(item))
      problems.add(where, `${JSON.stringify(item)} is not a valid ID (like ${example})`);
    else out.push(item);
  }
  return out;
}

function approverRule(value: unknown, where: string, problems: Problems): ApproverRule {
  if (value === undefined || value === null) return { users: [], groups: [] };
  if (!isObj(value)) {
    problems.add(where, 'must be a mapping with users and/or groups');
    return { users: [], groups: [] };
  }
  for (const key of Object.keys(value))
    if (key !== 'users' && key !== 'groups')
      problems.add(`${where}.${key}`, 'unknown field (expected users, groups)');
  return {
    users: stringList(value.users, `${where}.users`, USER_ID, 'U012AB3CD', problems),
    groups: stringList(value.groups, `${where}.groups`, GROUP_ID, 'S0614TZR7', problems),
  };
}

function text(value: unknown, where: string, problems: Problems): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') {
    problems.add(where, 'must be a string');
    return undefined;
  }
  return String(value);
}

function logLevel(env: Env, file: Obj, problems: Problems): string {
  const level = env.LOG_LEVEL ?? text(file.logLevel, 'logLevel', problems) ?? 'info';
  if (!LOG_LEVELS.includes(level))
    problems.add('LOG_LEVEL', `"${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

function redisUrl(env: Env, problems: Problems): string {
  const url = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\/[^\s]+$/.test(url))
    problems.add('REDIS_URL', `"${url}" is not a redis:// or rediss:// URL`);
  return url;
}

function prefix(env: Env, file: Obj, problems: Problems): string {
  const value = env.NETPOL_PREFIX ?? text(file.prefix, 'prefix', problems) ?? 'netpol';
  if (!/^[a-zA-Z0-9_-]{1,40}$/.test(value))
    problems.add('NETPOL_PREFIX', `"${value}" must be 1-40 letters, digits, "-" or "_"`);
  return value;
}

function clusterNames(value: unknown, where: string, problems: Problems): string[] {
  const items = commaList(value);
  if (items === undefined || items === null) return [];
  if (!Array.isArray(items)) {
    problems.add(where, 'must be a list of cluster names');
    return [];
  }
  const names: string[] = [];
  for (const item of items) {
    const name = isObj(item) ? item.name : item;
    if (typeof name !== 'string' || dns1123LabelProblem(name) !== undefined) {
      problems.add(
        where,
        `${JSON.stringify(name)} is not a valid cluster name (lower-case letters, digits and "-")`,
      );
    } else if (names.includes(name)) problems.add(where, `cluster "${name}" is listed twice`);
    else names.push(name);
  }
  return names;
}

function keywordOptions(file: Obj, problems: Problems): KeywordOptions {
  const cidrs = file.clusterCidrs === undefined ? DEFAULT_KEYWORD_OPTIONS.clusterCidrs : file.clusterCidrs;
  const clusterCidrs: string[] = [];
  if (!Array.isArray(cidrs)) problems.add('clusterCidrs', 'must be a list of CIDRs');
  else {
    for (const c of cidrs) {
      const p = typeof c === 'string' ? cidrProblem(c) : 'must be a string';
      if (p !== undefined) problems.add('clusterCidrs', `${JSON.stringify(c)} ${p}`);
      else clusterCidrs.push(c as string);
    }
  }
  const dns = { ...DEFAULT_KEYWORD_OPTIONS.dns, podLabels: { ...DEFAULT_KEYWORD_OPTIONS.dns.podLabels } };
  if (file.dns !== undefined) {
    if (!isObj(file.dns)) problems.add('dns', 'must be a mapping with namespace, podLabels, port');
    else {
      if (file.dns.namespace !== undefined) {
        const ns = String(file.dns.namespace);
        if (dns1123LabelProblem(ns) !== undefined)
          problems.add('dns.namespace', `"${ns}" is not a namespace name`);
        dns.namespace = ns;
      }
      if (file.dns.port !== undefined) {
        const port = Number(file.dns.port);
        if (!Number.isInteger(port) || port < 1 || port > 65535)
          problems.add('dns.port', 'must be a port from 1 to 65535');
        dns.port = port;
      }
      if (file.dns.podLabels !== undefined) {
        if (!isObj(file.dns.podLabels)) problems.add('dns.podLabels', 'must be a mapping of labels');
        else
          dns.podLabels = recordOf(
            Object.entries(file.dns.podLabels).map(([k, v]) => [k, String(v)] as const),
          );
      }
    }
  }
  return { clusterCidrs, dns };
}

/** The fields of the NETPOL_CONFIG file (the bot's; the CLI reads the request-language part of it). */
const FILE_FIELDS = [
  'clusters',
  'defaultCluster',
  'approvalChannel',
  'approvers',
  'requesters',
  'readers',
  'requestTtl',
  'labelKeys',
  'prefix',
  'dns',
  'clusterCidrs',
  'logLevel',
];

function checkFileFields(file: Obj, path: string | undefined, problems: Problems): void {
  for (const key of Object.keys(file))
    if (!FILE_FIELDS.includes(key))
      problems.add(`${path}: ${key}`, `unknown field (expected one of ${FILE_FIELDS.join(', ')})`);
}

function labelKeysOf(file: Obj, problems: Problems): string[] {
  if (file.labelKeys === undefined) return [...DEFAULT_LABEL_KEYS];
  if (!Array.isArray(file.labelKeys) || file.labelKeys.length === 0) {
    problems.add('labelKeys', 'must be a non-empty list of label keys');
    return [...DEFAULT_LABEL_KEYS];
  }
  const labelKeys = file.labelKeys.map(String);
  for (const key of labelKeys) {
    const p = labelKeyProblem(key);
    if (p !== undefined) problems.add('labelKeys', `"${key}" ${p}`);
  }
  return labelKeys;
}

/** HOST: an IP address (0.0.0.0, 127.0.0.1, ::) or a host name that resolves to this machine. */
function listenHost(env: Env, problems: Problems, variable: string): string {
  const value = env[variable];
  const host = value === undefined || value === '' ? '0.0.0.0' : value;
  const hostName =
    /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;
  if (isIP(host) === 0 && !hostName.test(host))
    problems.add(
      variable,
      `"${host}" is not an IP address or host name to listen on (e.g. 0.0.0.0, 127.0.0.1, ::)`,
    );
  return host;
}

/** Where /metrics, /healthz and /readyz listen: NETPOL_METRICS_PORT (0: any free port) and NETPOL_METRICS_HOST. */
function metricsListen(env: Env, defaultPort: number, problems: Problems): ListenAddress {
  const text =
    env.NETPOL_METRICS_PORT === undefined || env.NETPOL_METRICS_PORT === ''
      ? String(defaultPort)
      : env.NETPOL_METRICS_PORT;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535)
    problems.add('NETPOL_METRICS_PORT', `"${text}" is not a port number (0-65535; 0: any free port)`);
  return { port, host: listenHost(env, problems, 'NETPOL_METRICS_HOST') };
}

/** Who may read (file field `readers`): channels, users and groups; all empty (the default) is everyone. */
function readersOf(value: unknown, problems: Problems): BotConfig['readers'] {
  if (value !== undefined && value !== null && !isObj(value))
    problems.add('readers', 'must be a mapping with channels, users and/or groups');
  const readers = isObj(value) ? value : {};
  for (const key of Object.keys(readers))
    if (key !== 'channels' && key !== 'users' && key !== 'groups')
      problems.add(`readers.${key}`, 'unknown field (expected channels, users, groups)');
  return {
    channels: stringList(readers.channels, 'readers.channels', CHANNEL_ID, 'C0123ABCD', problems),
    users: stringList(readers.users, 'readers.users', USER_ID, 'U012AB3CD', problems),
    groups: stringList(readers.groups, 'readers.groups', GROUP_ID, 'S0614TZR7', problems),
  };
}

export function loadBotConfig(env: Env): BotConfig {
  const problems = new Problems();
  const file =
    env.NETPOL_CONFIG === undefined || env.NETPOL_CONFIG === ''
      ? {}
      : readConfigFile(env.NETPOL_CONFIG, problems);
  checkFileFields(file, env.NETPOL_CONFIG, problems);

  const botToken = env.SLACK_BOT_TOKEN ?? '';
  if (botToken === '') problems.add('SLACK_BOT_TOKEN', 'is required (the bot token, xoxb-...)');
  else if (!botToken.startsWith('xoxb-'))
    problems.add('SLACK_BOT_TOKEN', 'must be a bot token starting with xoxb-');
  const appToken = env.SLACK_APP_TOKEN === '' ? undefined : env.SLACK_APP_TOKEN;
  const signingSecret = env.SLACK_SIGNING_SECRET === '' ? undefined : env.SLACK_SIGNING_SECRET;
  const mode = appToken !== undefined ? 'socket' : 'http';
  if (appToken !== undefined && !appToken.startsWith('xapp-'))
    problems.add('SLACK_APP_TOKEN', 'must be an app-level token starting with xapp- (Socket Mode)');
  if (mode === 'http' && signingSecret === undefined) {
    problems.add(
      'SLACK_SIGNING_SECRET',
      'is required for the HTTP receiver (or set SLACK_APP_TOKEN for Socket Mode)',
    );
  }
  const apiUrl = env.SLACK_API_URL === '' ? undefined : env.SLACK_API_URL;
  if (apiUrl !== undefined && !/^https?:\/\/[^\s]+\/$/.test(apiUrl))
    problems.add(
      'SLACK_API_URL',
      `"${apiUrl}" must be an http(s) URL ending in "/" (e.g. http://127.0.0.1:9999/api/)`,
    );
  const port = Number(env.PORT ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.add('PORT', `"${env.PORT}" is not a port number`);
  const host = listenHost(env, problems, 'HOST');

  const clusters = clusterNames(
    env.NETPOL_CLUSTERS ?? file.clusters ?? 'default',
    env.NETPOL_CLUSTERS === undefined ? 'clusters' : 'NETPOL_CLUSTERS',
    problems,
  );
  const defaultCluster =
    env.NETPOL_DEFAULT_CLUSTER ??
    text(file.defaultCluster, 'defaultCluster', problems) ??
    (clusters.length === 1 ? clusters[0] : undefined);
  // With several clusters and no default, every request must name its cluster (`/netpol @prod ...`).
  if (defaultCluster !== undefined && !clusters.includes(defaultCluster))
    problems.add('defaultCluster', `"${defaultCluster}" is not among the clusters (${clusters.join(', ')})`);

  const approvalChannel =
    env.NETPOL_APPROVAL_CHANNEL ?? text(file.approvalChannel, 'approvalChannel', problems) ?? '';
  if (!CHANNEL_ID.test(approvalChannel))
    problems.add(
      'approvalChannel',
      approvalChannel === ''
        ? 'is required (NETPOL_APPROVAL_CHANNEL or approvalChannel: the channel ID where approvals are posted, like C0123ABCD)'
        : `"${approvalChannel}" is not a channel ID (like C0123ABCD)`,
    );

  const approversFile = file.approvers;
  if (approversFile !== undefined && !isObj(approversFile))
    problems.add('approvers', 'must be a mapping with default and namespaces');
  const approversObj = isObj(approversFile) ? approversFile : {};
  const defaultApprovers = approverRule(approversObj.default, 'approvers.default', problems);
  if (env.NETPOL_APPROVERS !== undefined)
    defaultApprovers.users.push(
      ...stringList(env.NETPOL_APPROVERS, 'NETPOL_APPROVERS', USER_ID, 'U012AB3CD', problems),
    );
  // Null prototype: a namespace named `constructor` or `__proto__` is an ordinary key (own-keys.ts).
  const namespaces = emptyRecord<ApproverRule>();
  if (approversObj.namespaces !== undefined) {
    if (!isObj(approversObj.namespaces))
      problems.add('approvers.namespaces', 'must be a mapping of namespace -> {users, groups}');
    else {
      for (const [ns, rule] of Object.entries(approversObj.namespaces)) {
        if (dns1123LabelProblem(ns) !== undefined)
          problems.add(`approvers.namespaces.${ns}`, 'is not a namespace name');
        namespaces[ns] = approverRule(rule, `approvers.namespaces.${ns}`, problems);
      }
    }
  }
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

  const requestersObj = isObj(file.requesters) ? file.requesters : {};
  if (file.requesters !== undefined && !isObj(file.requesters))
    problems.add('requesters', 'must be a mapping with channels and/or users');
  const requesters = {
    channels: stringList(requestersObj.channels, 'requesters.channels', CHANNEL_ID, 'C0123ABCD', problems),
    users: stringList(requestersObj.users, 'requesters.users', USER_ID, 'U012AB3CD', problems),
  };
  const readers = readersOf(file.readers, problems);

  const ttlText = env.NETPOL_REQUEST_TTL ?? text(file.requestTtl, 'requestTtl', problems);
  const requestTtlMs = ttlText === undefined ? DEFAULT_TTL_MS : parseDuration(ttlText);
  if (requestTtlMs === undefined)
    problems.add('requestTtl', `"${ttlText}" is not a duration like 24h, 30m or 90s`);

  const labelKeys = labelKeysOf(file, problems);

  const config: BotConfig = {
    slack: {
      mode,
      botToken,
      port,
      host,
      ...(signingSecret === undefined ? {} : { signingSecret }),
      ...(appToken === undefined ? {} : { appToken }),
      ...(apiUrl === undefined ? {} : { apiUrl }),
    },
    redisUrl: redisUrl(env, problems),
    prefix: prefix(env, file, problems),
    clusters,
    defaultCluster: defaultCluster ?? '',
    approvalChannel,
    approvers: { default: defaultApprovers, namespaces },
    requesters,
    readers,
    requestTtlMs: requestTtlMs ?? DEFAULT_TTL_MS,
    labelKeys,
    keywords: keywordOptions(file, problems),
    logLevel: logLevel(env, file, problems),
    metrics: metricsListen(env, DEFAULT_BOT_METRICS_PORT, problems),
  };
  problems.throwIfAny('bot');
  return deepFreeze(config);
}

/**
 * The request-language part of the bot's configuration file (labelKeys, dns, clusterCidrs), for the
 * CLI: `netpol parse` reads words as the bot does. Same file, same validation; other fields are
 * checked for typos only. No file: the defaults.
 */
export function loadRequestLanguageConfig(file: { path?: string; source: string }): RequestLanguageConfig {
  const problems = new Problems();
  const fields =
    file.path === undefined || file.path === '' ? {} : readConfigFile(file.path, problems, file.source);
  checkFileFields(fields, file.path, problems);
  const config: RequestLanguageConfig = {
    labelKeys: labelKeysOf(fields, problems),
    keywords: keywordOptions(fields, problems),
  };
  problems.throwIfAny('request language');
  return deepFreeze(config);
}

const DEFAULT_ALERT_WINDOW_MS = 5 * 60_000;

/**
 * Drop alerts (issue 10): on when NETPOL_ALERT_CHANNEL names the default channel;
 * NETPOL_ALERT_CHANNELS routes namespaces to their own (`backend=C0BACKEND,frontend=C0FRONT`),
 * NETPOL_ALERT_WINDOW sets the aggregation window (default 5m).
 */
function alertsConfig(env: Env, problems: Problems): AlertsConfig | undefined {
  const defaultChannel = env.NETPOL_ALERT_CHANNEL ?? '';
  if (defaultChannel === '') {
    if ((env.NETPOL_ALERT_CHANNELS ?? '') !== '' || (env.NETPOL_ALERT_WINDOW ?? '') !== '')
      problems.add(
        'NETPOL_ALERT_CHANNEL',
        'is required when NETPOL_ALERT_CHANNELS or NETPOL_ALERT_WINDOW is set',
      );
    return undefined;
  }
  if (!CHANNEL_ID.test(defaultChannel))
    problems.add('NETPOL_ALERT_CHANNEL', `"${defaultChannel}" is not a channel ID (like C0123ABCD)`);
  const channels = emptyRecord<string>();
  for (const item of commaList(env.NETPOL_ALERT_CHANNELS ?? '') as string[]) {
    const [namespace = '', channel = '', ...extra] = item.split('=').map((s) => s.trim());
    if (extra.length > 0 || dns1123LabelProblem(namespace) !== undefined || !CHANNEL_ID.test(channel))
      problems.add('NETPOL_ALERT_CHANNELS', `"${item}" is not namespace=channel (like backend=C0123ABCD)`);
    else channels[namespace] = channel;
  }
  const windowText = env.NETPOL_ALERT_WINDOW ?? '';
  const windowMs = windowText === '' ? DEFAULT_ALERT_WINDOW_MS : parseDuration(windowText);
  if (windowMs === undefined)
    problems.add('NETPOL_ALERT_WINDOW', `"${windowText}" is not a duration like 5m, 90s or 1h`);
  return { defaultChannel, channels, windowMs: windowMs ?? DEFAULT_ALERT_WINDOW_MS };
}

export function loadWorkerConfig(env: Env, argv: readonly string[] = []): WorkerConfig {
  const problems = new Problems();
  let cluster = env.NETPOL_CLUSTER;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--cluster') cluster = argv[++i];
    else if (arg.startsWith('--cluster=')) cluster = arg.slice('--cluster='.length);
    else problems.add('arguments', `unknown argument "${arg}" (expected --cluster NAME)`);
  }
  if (cluster === undefined || cluster === '')
    problems.add('NETPOL_CLUSTER', 'is required (or --cluster NAME): the cluster this worker serves');
  else if (dns1123LabelProblem(cluster) !== undefined)
    problems.add('NETPOL_CLUSTER', `"${cluster}" is not a valid cluster name`);
  const concurrency = Number(env.NETPOL_WORKER_CONCURRENCY ?? '4');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    problems.add('NETPOL_WORKER_CONCURRENCY', 'must be a whole number from 1 to 64');
  const kubeconfig = env.KUBECONFIG === '' ? undefined : env.KUBECONFIG;
  const alerts = alertsConfig(env, problems);
  const config: WorkerConfig = {
    cluster: cluster ?? '',
    redisUrl: redisUrl(env, problems),
    prefix: prefix(env, {}, problems),
    fieldManager: 'netpol',
    concurrency,
    logLevel: logLevel(env, {}, problems),
    metrics: metricsListen(env, DEFAULT_WORKER_METRICS_PORT, problems),
    ...(kubeconfig === undefined ? {} : { kubeconfig }),
    ...(alerts === undefined ? {} : { alerts }),
  };
  problems.throwIfAny('worker');
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value as Record<string, unknown>)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The configuration of every netpol process, described once (zod): each environment variable (who
 * reads it, its default, what it means, the chart value that sets it) and each field of the bot's
 * NETPOL_CONFIG file. The loaders (load-config.ts, agent-config.ts) validate with these schemas; the
 * README's configuration tables and the chart's values.schema.json are generated from them
 * (config-docs.ts, `npm run gen:config-docs`), and a test fails when the checked-in copies differ.
 *
 * Every schema carries its own message, written for the person fixing it: the loaders prefix it
 * with where the value came from (a variable, or a field of the file) and report every problem at
 * once. Values read from the environment are text: `fromText` turns a variable's text into the value
 * its schema checks (a number, a list), so "eighty" is reported as "eighty", not as NaN.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { cidrProblem } from '../../core/k8s/cidr';
import { dns1123LabelProblem, dns1123SubdomainProblem, labelKeyProblem } from '../../core/k8s/names';
import { emptyRecord } from '../../core/own-keys';
import { DEFAULT_KEYWORD_OPTIONS } from '../../core/policy/keywords';
import { DEFAULT_LABEL_KEYS } from '../../core/request/resolve-request';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A bad value as quoted in a message: `"text"` (numbers too, as typed), JSON for a list or mapping. */
export function quoted(value: unknown): string {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : `"${String(value)}"`;
}

/** A zod error option whose message is computed from the offending input. */
const says = (message: (input: unknown) => string) => ({
  error: (issue: { input?: unknown }) => message(issue.input),
});

/** "24h", "30m", "90s", "1500ms" or a number of milliseconds. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(value.trim());
  if (match === null) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 'ms') as 'ms'];
  const ms = Number(match[1]) * unit;
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}

/** A list given as YAML or as an environment variable's comma-separated text. */
export function commaList(value: unknown): unknown {
  return typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : value;
}

/** JSON Schema stand-ins for the few schemas zod cannot describe (a mapping read as a Map). */
export const DOCUMENTED_AS = new WeakMap<z.ZodType, z.ZodType>();

// ---------------------------------------------------------------------------------------------
// Values

export const logLevel = z.enum(
  LOG_LEVELS,
  says((v) => `${quoted(v)} is not one of ${LOG_LEVELS.join(', ')}`),
);

export const redisUrl = z
  .string(says((v) => `${quoted(v)} is not a redis:// or rediss:// URL`))
  .regex(/^rediss?:\/\/[^\s]+$/);

export const keyPrefix = z
  .string(says((v) => `${quoted(v)} must be 1-40 letters, digits, "-" or "_"`))
  .regex(/^[a-zA-Z0-9_-]{1,40}$/);

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;

/** An IP address (0.0.0.0, 127.0.0.1, ::) or a host name that resolves to this machine. */
export const listenHost = z
  .string(
    says((v) => `${quoted(v)} is not an IP address or host name to listen on (e.g. 0.0.0.0, 127.0.0.1, ::)`),
  )
  .refine((host) => isIP(host) !== 0 || HOST_NAME.test(host));

/** An IP address only (the agent binds before any resolver is trusted). */
export const listenAddress = z
  .string(says((v) => `${quoted(v)} is not an IP address to listen on`))
  .refine((host) => isIP(host) !== 0);

export function portNumber(hint = '') {
  return z
    .number(says((v) => `${quoted(v)} is not a port number${hint}`))
    .int()
    .min(0)
    .max(65_535);
}

export function wholeNumber(min: number, max: number) {
  return z
    .number(says((v) => `${quoted(v)} must be a whole number from ${min} to ${max}`))
    .int()
    .min(min)
    .max(max);
}

/** A DNS-1123 label (names.ts), as a pattern JSON Schema validators (Go's RE2 too) understand. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const clusterName = z
  .string(says((v) => `${quoted(v)} is not a valid cluster name (lower-case letters, digits and "-")`))
  .regex(DNS_LABEL);

export const namespaceName = z.string(says((v) => `${quoted(v)} is not a namespace name`)).regex(DNS_LABEL);

export const nodeName = z
  .string(says((v) => `${quoted(v)} is not a valid node name`))
  .refine((name) => dns1123SubdomainProblem(name) === undefined);

const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

export const channelId = z
  .string(says((v) => `${quoted(v)} is not a channel ID (like C0123ABCD)`))
  .regex(CHANNEL_ID);

/** One Slack ID in a list: a user (U…, W…), a user group (S…) or a channel (C…, G…, D…). */
function slackId(pattern: RegExp, example: string) {
  return z.string(says((v) => `${quoted(v)} is not a valid ID (like ${example})`)).regex(pattern);
}
export const userIds = z.array(slackId(/^[UW][A-Z0-9]{2,}$/, 'U012AB3CD'));
export const groupIds = z.array(slackId(/^S[A-Z0-9]{2,}$/, 'S0614TZR7'));
export const channelIds = z.array(slackId(CHANNEL_ID, 'C0123ABCD'));

/** A duration as text ("24h", "30m", "90s"), read as milliseconds. */
export function duration(examples: string) {
  return z
    .string(says((v) => `${quoted(v)} is not a duration like ${examples}`))
    .regex(/^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$/)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms !== undefined) return ms;
      ctx.issues.push({
        code: 'custom',
        message: `${quoted(text)} is not a duration like ${examples}`,
        input: text,
      });
      return z.NEVER;
    });
}

export const absolutePath = z
  .string(says((v) => `${quoted(v)} must be an absolute path`))
  .refine((path) => path.startsWith('/'));

// ---------------------------------------------------------------------------------------------
// The NETPOL_CONFIG file (the bot's; the CLI reads its request-language part)

/** YAML's `key:` with nothing after it means the field is not set. */
const unset = (value: unknown) => (value === null ? undefined : value);

/** A field of the file: optional, null as absent. */
function field<T extends z.ZodType>(schema: T, description: string) {
  return z.preprocess(unset, schema.optional()).meta({ description });
}

/** A string field that also takes a number (`approvalChannel: 123` is read as "123", then checked). */
function textField<T extends z.ZodType<unknown, string>>(schema: T, description: string) {
  return field(
    z.preprocess((v) => (typeof v === 'number' ? String(v) : v), schema),
    description,
  );
}

/** A mapping with exactly these fields: `shape` is a mapping, else `notMapping`. */
function mapping<S extends z.ZodRawShape>(shape: S, notMapping: string) {
  const fields = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown field (expected ${fields})` : notMapping,
  });
}

/** A list (or comma-separated text) of IDs; null or absent is empty. */
function idList(items: z.ZodArray<z.ZodType<string>>) {
  return z
    .preprocess(
      (v) => (v === null ? undefined : commaList(v)),
      z
        .array(
          items.element,
          says(() => 'must be a list'),
        )
        .optional(),
    )
    .transform((ids) => ids ?? []);
}

const approverRule = z.preprocess(
  (v) => (v === null || v === undefined ? {} : v),
  mapping(
    {
      users: idList(userIds).meta({ description: 'Slack user IDs (U…, W…)' }),
      groups: idList(groupIds).meta({
        description: 'Slack user group IDs (S…): their members at click time',
      }),
    },
    'must be a mapping with users and/or groups',
  ),
);

/**
 * namespace -> approvers, read through a Map so that a namespace named `__proto__` or
 * `constructor` is an ordinary key (zod's record would drop the first); a null-prototype result.
 */
const approversByNamespace = z
  .preprocess(
    (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? new Map(Object.entries(v)) : v),
    z.map(
      z.string().refine((ns) => dns1123LabelProblem(ns) === undefined, { error: 'is not a namespace name' }),
      approverRule,
      {
        error: 'must be a mapping of namespace -> {users, groups}',
      },
    ),
  )
  .transform((rules) => {
    const out = emptyRecord<z.output<typeof approverRule>>();
    for (const [namespace, rule] of rules) out[namespace] = rule;
    return out;
  });
DOCUMENTED_AS.set(approversByNamespace, z.record(namespaceName, approverRule));

const clusterList = z.preprocess(
  (v) => {
    const items = commaList(v);
    // A cluster may be written as { name: prod } too.
    return Array.isArray(items)
      ? items.map((item: unknown) =>
          item !== null && typeof item === 'object' && 'name' in item
            ? (item as { name: unknown }).name
            : item,
        )
      : items;
  },
  z
    .array(
      clusterName,
      says(() => 'must be a list of cluster names'),
    )
    .superRefine((names, ctx) => {
      const seen = new Set<string>();
      for (const name of names) {
        if (seen.has(name)) ctx.addIssue({ code: 'custom', message: `cluster "${name}" is listed twice` });
        seen.add(name);
      }
    }),
);

const labelKey = z
  .preprocess(
    (v) => (typeof v === 'number' ? String(v) : v),
    z.string(says((v) => `${quoted(v)} must be a string`)),
  )
  .superRefine((key, ctx) => {
    const problem = labelKeyProblem(key);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `"${key}" ${problem}` });
  });

const cidr = z.string(says((v) => `${quoted(v)} must be a string`)).superRefine((text, ctx) => {
  const problem = cidrProblem(text);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${quoted(text)} ${problem}` });
});

const dnsSettings = mapping(
  {
    namespace: field(
      z.preprocess((v) => (typeof v === 'number' ? String(v) : v), namespaceName),
      `where the cluster DNS runs (default ${DEFAULT_KEYWORD_OPTIONS.dns.namespace})`,
    ),
    podLabels: field(
      z.record(
        z.string(),
        z.preprocess((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v), z.string()),
        { error: 'must be a mapping of labels' },
      ),
      'labels of the DNS pods',
    ),
    port: field(
      z.coerce
        .number(says(() => 'must be a port from 1 to 65535'))
        .int()
        .min(1)
        .max(65_535),
      `the DNS port (default ${DEFAULT_KEYWORD_OPTIONS.dns.port})`,
    ),
  },
  'must be a mapping with namespace, podLabels, port',
);

const requestersSettings = mapping(
  {
    channels: idList(channelIds).meta({ description: 'channels requests may come from' }),
    users: idList(userIds).meta({ description: 'users who may request' }),
  },
  'must be a mapping with channels and/or users',
);

const readersSettings = mapping(
  {
    channels: idList(channelIds).meta({ description: 'channels questions may come from' }),
    users: idList(userIds).meta({ description: 'users who may ask' }),
    groups: idList(groupIds).meta({ description: 'user groups whose members may ask' }),
  },
  'must be a mapping with channels, users and/or groups',
);

const approversSettings = mapping(
  {
    default: field(approverRule, 'who may approve in every namespace'),
    namespaces: field(approversByNamespace, 'who may approve in a namespace: namespace -> {users, groups}'),
  },
  'must be a mapping with default and namespaces',
);

/** The NETPOL_CONFIG file. Environment variables, when set, win over its fields (ENV_SHORTCUTS). */
export const configFileShape = {
  clusters: field(clusterList, 'every cluster with a worker (default: one named default)'),
  defaultCluster: textField(clusterName, 'used when a request names none; default the only cluster, if one'),
  approvalChannel: textField(channelId, 'required: the channel ID (C…) where approvals are posted'),
  approvers: field(approversSettings, 'who may approve: default (every namespace) and per namespace'),
  requesters: field(requestersSettings, 'who may request; empty: anyone, anywhere'),
  readers: field(
    readersSettings,
    'who may ask show, explain, history, pending, can/who/what; empty: anyone, anywhere',
  ),
  requestTtl: textField(duration('24h, 30m or 90s'), 'how long a request waits for approval (default 24h)'),
  labelKeys: field(
    z
      .array(
        labelKey,
        says(() => 'must be a non-empty list of label keys'),
      )
      .min(1),
    `label keys a bare name matches pods by (default ${DEFAULT_LABEL_KEYS.join(', ')})`,
  ),
  prefix: textField(keyPrefix, 'prefix of every Redis key and queue (default netpol)'),
  dns: field(dnsSettings, 'where the `dns` keyword points'),
  clusterCidrs: field(
    z.array(
      cidr,
      says(() => 'must be a list of CIDRs'),
    ),
    `what \`cluster\` means in ipBlocks (default ${DEFAULT_KEYWORD_OPTIONS.clusterCidrs.join(', ')})`,
  ),
  logLevel: textField(logLevel, 'pino level (default info)'),
};

export const configFileSchema = mapping(configFileShape, 'must be a YAML mapping (key: value)');

export type ConfigFile = z.output<typeof configFileSchema>;

// ---------------------------------------------------------------------------------------------
// Environment variables

export type ProcessName = 'bot' | 'worker' | 'agent';

/** How a variable's text becomes the value its schema checks. */
export type TextForm = 'text' | 'integer' | 'list';

export interface EnvVar<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  /** The value's schema (what the chart's value is checked against, too). */
  readonly schema: S;
  readonly form: TextForm;
  /** The default as the README shows it ('' when required or none). */
  readonly default: string;
  /** What it is, for the README. */
  readonly doc: string;
  /** The chart value that sets it, when the chart does. */
  readonly helm?: string;
  /** The chart value holds the variable's text (`eni,cali,veth`), not the value (a YAML list). */
  readonly helmText?: boolean;
  /** The NETPOL_CONFIG field it stands for (and wins over), when it does. */
  readonly file?: string;
}

function envVar<S extends z.ZodType>(
  name: string,
  schema: S,
  doc: string,
  options: { form?: TextForm; default?: string; helm?: string; helmText?: boolean; file?: string } = {},
): EnvVar<S> {
  return {
    name,
    schema,
    doc,
    form: options.form ?? 'text',
    default: options.default ?? '',
    ...(options.helm === undefined ? {} : { helm: options.helm }),
    ...(options.file === undefined ? {} : { file: options.file }),
    ...(options.helmText === true ? { helmText: true } : {}),
  };
}

/** The variable's text as the value its schema checks: "8080" -> 8080, "a, b" -> ["a", "b"]. */
export function fromText(variable: EnvVar, text: string): unknown {
  switch (variable.form) {
    case 'integer':
      return /^\d+$/.test(text.trim()) ? Number(text) : text;
    case 'list':
      return commaList(text);
    case 'text':
      return text;
  }
}

const REDIS_URL = envVar('REDIS_URL', redisUrl, 'the Redis every process shares', {
  default: 'redis://127.0.0.1:6379',
});
const NETPOL_PREFIX = envVar('NETPOL_PREFIX', keyPrefix, 'prefix of every Redis key and queue', {
  default: 'netpol',
  helm: 'prefix',
  file: 'prefix',
});
const LOG_LEVEL = envVar('LOG_LEVEL', logLevel, `pino level: ${LOG_LEVELS.join(', ')}`, {
  default: 'info',
  helm: 'logLevel',
  file: 'logLevel',
});
const KUBECONFIG = envVar('KUBECONFIG', z.string(), 'a kubeconfig file; else the in-cluster service account');
/** Apart, so a bot and a worker started by hand on one machine do not collide (the agent has 9876). */
export const DEFAULT_METRICS_PORTS = { bot: 9464, worker: 9465 } as const;

const NETPOL_METRICS_PORT = envVar(
  'NETPOL_METRICS_PORT',
  portNumber(' (0-65535; 0: any free port)'),
  '`/metrics`, `/healthz`, `/readyz` (0: any free port)',
  {
    form: 'integer',
    default: `bot ${DEFAULT_METRICS_PORTS.bot}, worker ${DEFAULT_METRICS_PORTS.worker}`,
    helm: 'metrics.port',
  },
);
const NETPOL_METRICS_HOST = envVar('NETPOL_METRICS_HOST', listenHost, 'the interface that port listens on', {
  default: '0.0.0.0',
  helm: 'metrics.host',
});

/** The bot's variables. Those with a file field are shortcuts for it and win over it. */
export const BOT_ENV = {
  SLACK_BOT_TOKEN: envVar(
    'SLACK_BOT_TOKEN',
    z.string(says(() => 'must be a bot token starting with xoxb-')).startsWith('xoxb-'),
    'required: the bot token, `xoxb-…`',
  ),
  SLACK_SIGNING_SECRET: envVar(
    'SLACK_SIGNING_SECRET',
    z.string(),
    "required for the HTTP receiver (Bolt's `/slack/events` on `PORT`)",
  ),
  SLACK_APP_TOKEN: envVar(
    'SLACK_APP_TOKEN',
    z.string(says(() => 'must be an app-level token starting with xapp- (Socket Mode)')).startsWith('xapp-'),
    '`xapp-…`: Socket Mode instead of HTTP',
  ),
  SLACK_API_URL: envVar(
    'SLACK_API_URL',
    z
      .string(
        says((v) => `${quoted(v)} must be an http(s) URL ending in "/" (e.g. http://127.0.0.1:9999/api/)`),
      )
      .regex(/^https?:\/\/[^\s]+\/$/),
    'another Web API base, e.g. a stand-in: `http://127.0.0.1:9999/api/`',
  ),
  PORT: envVar('PORT', portNumber(), 'the HTTP receiver', { form: 'integer', default: '3000' }),
  HOST: envVar('HOST', listenHost, 'the interface `PORT` listens on: an IP or host name', {
    default: '0.0.0.0',
    helm: 'bot.host',
  }),
  REDIS_URL,
  NETPOL_CONFIG: envVar('NETPOL_CONFIG', z.string(), 'the YAML file below'),
  NETPOL_CLUSTERS: envVar(
    'NETPOL_CLUSTERS',
    configFileShape.clusters,
    "the file's `clusters`, comma-separated",
    {
      form: 'list',
      helm: 'bot.clusters',
      file: 'clusters',
    },
  ),
  NETPOL_DEFAULT_CLUSTER: envVar('NETPOL_DEFAULT_CLUSTER', clusterName, "the file's `defaultCluster`", {
    helm: 'bot.defaultCluster',
    file: 'defaultCluster',
  }),
  NETPOL_APPROVAL_CHANNEL: envVar('NETPOL_APPROVAL_CHANNEL', channelId, "the file's `approvalChannel`", {
    helm: 'bot.approvalChannel',
    file: 'approvalChannel',
  }),
  NETPOL_APPROVERS: envVar(
    'NETPOL_APPROVERS',
    userIds,
    'users added to `approvers.default.users`, comma-separated',
    {
      form: 'list',
      helm: 'bot.approvers',
      file: 'approvers.default.users',
    },
  ),
  NETPOL_REQUEST_TTL: envVar('NETPOL_REQUEST_TTL', duration('24h, 30m or 90s'), "the file's `requestTtl`", {
    default: '24h',
    helm: 'bot.requestTtl',
    file: 'requestTtl',
  }),
  NETPOL_PREFIX,
  LOG_LEVEL,
  NETPOL_METRICS_PORT,
  NETPOL_METRICS_HOST,
} as const satisfies Record<string, EnvVar>;

/** A cluster's policy worker's variables (`--cluster NAME` wins over NETPOL_CLUSTER). */
export const WORKER_ENV = {
  NETPOL_CLUSTER: envVar(
    'NETPOL_CLUSTER',
    clusterName,
    'required (or `--cluster`): the cluster this worker serves',
    {
      helm: 'cluster',
    },
  ),
  KUBECONFIG,
  REDIS_URL,
  NETPOL_PREFIX,
  NETPOL_WORKER_CONCURRENCY: envVar(
    'NETPOL_WORKER_CONCURRENCY',
    wholeNumber(1, 64),
    'apply jobs run at once',
    {
      form: 'integer',
      default: '4',
      helm: 'worker.concurrency',
    },
  ),
  LOG_LEVEL,
  NETPOL_METRICS_PORT,
  NETPOL_METRICS_HOST,
  NETPOL_ALERT_CHANNEL: envVar(
    'NETPOL_ALERT_CHANNEL',
    channelId,
    'drop alerts on: the channel for namespaces without their own',
    { helm: 'worker.alerts.channel' },
  ),
  NETPOL_ALERT_CHANNELS: envVar(
    'NETPOL_ALERT_CHANNELS',
    z.array(
      z.string().refine(
        (item) => {
          const [namespace = '', channel = '', ...extra] = item.split('=').map((s) => s.trim());
          return (
            extra.length === 0 && dns1123LabelProblem(namespace) === undefined && CHANNEL_ID.test(channel)
          );
        },
        says((v) => `${quoted(v)} is not namespace=channel (like backend=C0123ABCD)`),
      ),
    ),
    'namespace=channel pairs, comma-separated: `backend=C0BACKEND,web=C0WEB`',
    { form: 'list', helm: 'worker.alerts.channels' },
  ),
  NETPOL_ALERT_WINDOW: envVar(
    'NETPOL_ALERT_WINDOW',
    duration('5m, 90s or 1h'),
    "drop alerts' aggregation window",
    {
      default: '5m',
      helm: 'worker.alerts.window',
    },
  ),
} as const satisfies Record<string, EnvVar>;

/** The node agent's variables. */
export const AGENT_ENV = {
  NODE_NAME: envVar('NODE_NAME', nodeName, "required: this node (the downward API's `spec.nodeName`)"),
  NETPOL_CLUSTER: envVar(
    'NETPOL_CLUSTER',
    clusterName,
    "required: names the cluster's drop-event stream in Redis",
    {
      helm: 'cluster',
    },
  ),
  NETPOL_NODE_ADDRESSES: envVar(
    'NETPOL_NODE_ADDRESSES',
    z.array(
      z.string().refine(
        (a) => isIP(a) !== 0,
        says((v) => `${quoted(v)} is not an IPv4 or IPv6 address`),
      ),
    ),
    "required: the node's IPs, comma-separated; always allowed (kubelet probes)",
    { form: 'list' },
  ),
  KUBECONFIG,
  NETPOL_BPF_PIN_DIR: envVar(
    'NETPOL_BPF_PIN_DIR',
    z.string(says((v) => `${quoted(v)} must be a directory under /sys/fs/bpf/`)).startsWith('/sys/fs/bpf/'),
    'where the maps are pinned and adopted',
    { default: '/sys/fs/bpf/netpol', helm: 'agent.pinDir' },
  ),
  NETPOL_NODE_NETNS: envVar(
    'NETPOL_NODE_NETNS',
    z
      .string(says((v) => `${quoted(v)} must be "-", a namespace name or an absolute path`))
      .refine((v) => v === '-' || /^[A-Za-z0-9._-]{1,64}$/.test(v) || v.startsWith('/')),
    "the node's network namespace (`-`: the agent's own, hostNetwork)",
    { default: '-' },
  ),
  NETPOL_HOST_VETH_PREFIXES: envVar(
    'NETPOL_HOST_VETH_PREFIXES',
    z.array(
      z.string().regex(
        /^[A-Za-z0-9._-]{1,14}$/,
        says(
          (v) =>
            `${quoted(v)} is not a link-name prefix (1-14 letters, digits, ".", "_" or "-"; "-" alone for none)`,
        ),
      ),
    ),
    'name prefixes of host veths closed the moment they appear (`-`: none)',
    { form: 'list', default: 'eni,cali,veth', helm: 'agent.hostVethPrefixes', helmText: true },
  ),
  NETPOL_BPF_OBJECT: envVar('NETPOL_BPF_OBJECT', absolutePath, 'the eBPF object', { default: 'bpf/build/' }),
  NETPOL_BPF_LOADER: envVar('NETPOL_BPF_LOADER', absolutePath, 'the loader helper', {
    default: 'bpf/build/',
  }),
  REDIS_URL,
  NETPOL_PREFIX,
  NETPOL_DROP_STREAM_MAXLEN: envVar(
    'NETPOL_DROP_STREAM_MAXLEN',
    wholeNumber(1, 10_000_000),
    'approximate length cap of the drop-event stream',
    { form: 'integer', default: '10000', helm: 'agent.dropStreamMaxLen' },
  ),
  NETPOL_FLOW_SAMPLE_ONE_IN: envVar(
    'NETPOL_FLOW_SAMPLE_ONE_IN',
    wholeNumber(0, 1_000_000),
    'report one new allowed flow in N to the flow store (`/netpol suggest`); 0: none',
    { form: 'integer', default: '20', helm: 'agent.flows.sampleOneIn' },
  ),
  NETPOL_FLOW_INTERVAL: envVar(
    'NETPOL_FLOW_INTERVAL',
    duration('10s, 1m or 500ms'),
    'how long the agent aggregates flows before writing them to Redis',
    { default: '10s', helm: 'agent.flows.interval' },
  ),
  NETPOL_FLOW_MAX_KEYS: envVar(
    'NETPOL_FLOW_MAX_KEYS',
    wholeNumber(1, 1_000_000),
    'distinct flows the agent holds per interval; more are counted as overflow, not kept',
    { form: 'integer', default: '5000', helm: 'agent.flows.maxKeys' },
  ),
  NETPOL_FLOW_RETENTION: envVar(
    'NETPOL_FLOW_RETENTION',
    duration('7d, 24h or 30m'),
    'how long a flow is kept after it was last seen',
    { default: '7d', helm: 'agent.flows.retention' },
  ),
  NETPOL_AGENT_HEALTH_PORT: envVar(
    'NETPOL_AGENT_HEALTH_PORT',
    wholeNumber(0, 65_535),
    '`/healthz`, `/readyz`, `/metrics` (0: any free port)',
    { form: 'integer', default: '9876', helm: 'agent.port' },
  ),
  NETPOL_AGENT_HEALTH_HOST: envVar(
    'NETPOL_AGENT_HEALTH_HOST',
    listenAddress,
    'the address that port listens on',
    {
      default: '0.0.0.0',
      helm: 'agent.host',
    },
  ),
  LOG_LEVEL,
} as const satisfies Record<string, EnvVar>;

export const ENVIRONMENT: Readonly<Record<ProcessName, Readonly<Record<string, EnvVar>>>> = {
  bot: BOT_ENV,
  worker: WORKER_ENV,
  agent: AGENT_ENV,
};

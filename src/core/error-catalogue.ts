/**
 * Every error code netpol raises, in one place: what it means and what the operator should do. The
 * error classes stay beside the code that throws them (NetpolError here in core, RequestStoreError in
 * the Redis adapter, SlackOutboundError in the outbound queue, KubeApiError in the Kubernetes adapter,
 * ApplyRefusal in the workers), but each takes its code type from this table (`CodeOf<'...'>`), so a
 * new code is added here or not at all. README's "Errors" table is this table (`errorTableMarkdown`,
 * pinned by error-catalogue.test.ts). Pure data.
 */

/** The classes that carry a code from this catalogue. */
export type ErrorClassName =
  | 'NetpolError'
  | 'RequestStoreError'
  | 'SlackOutboundError'
  | 'KubeApiError'
  | 'ApplyRefusal'
  | 'BpfLoaderError';

export interface ErrorCatalogueEntry {
  /** What went wrong, for the person reading the code. */
  readonly meaning: string;
  /** What the operator (or the user) should do about it. */
  readonly action: string;
  /** The classes that raise it: one code, one meaning, whichever layer noticed. */
  readonly raisedBy: readonly ErrorClassName[];
}

/** In README order: request and CLI errors first, then the bot, the stores, Slack, Kubernetes, the node agent. */
export const ERROR_CATALOGUE = {
  E_SYNTAX: {
    meaning: 'the request does not follow the grammar',
    action: 'fix the word at the column given',
    raisedBy: ['NetpolError'],
  },
  E_UNKNOWN_NAMESPACE: {
    meaning: 'the namespace is not in the cluster',
    action: 'check the name (a suggestion is given)',
    raisedBy: ['NetpolError'],
  },
  E_UNKNOWN_ENDPOINT: {
    meaning: 'a pod, workload or port name is not known',
    action: 'check the name',
    raisedBy: ['NetpolError'],
  },
  E_UNSUPPORTED: {
    meaning: 'NetworkPolicy v1 cannot express it (e.g. denying one peer)',
    action: 'follow the hint',
    raisedBy: ['NetpolError'],
  },
  E_INVALID_VALUE: {
    meaning: "a name, label, port or CIDR breaks Kubernetes' rules",
    action: 'fix the value named',
    raisedBy: ['NetpolError'],
  },
  E_STATE: {
    meaning: 'the state file cannot be read or holds an invalid object',
    action: 'fix the file at the line given',
    raisedBy: ['NetpolError'],
  },
  E_FLOWS: {
    meaning: 'the observed-flows file cannot be read or holds an invalid entry (named by its index)',
    action: 'fix the file or the entry named',
    raisedBy: ['NetpolError'],
  },
  E_GRAPH: {
    meaning: 'the flow graph could not be drawn: Graphviz or the PNG renderer failed to load or run',
    action: 'the cause is attached; `--format dot` or `svg` needs less (no native renderer)',
    raisedBy: ['NetpolError'],
  },
  E_NOT_OWNED: {
    meaning: 'the policy name belongs to a policy netpol does not manage',
    action: "netpol never edits others' policies: pick another name or remove that policy",
    raisedBy: ['NetpolError', 'ApplyRefusal'],
  },
  E_USAGE: {
    meaning: 'the command line or the /netpol command is wrong',
    action: '`netpol --help`, `/netpol help`',
    raisedBy: ['NetpolError'],
  },
  E_CONFIG: {
    meaning: 'the configuration is invalid (every problem is listed); exit status 2',
    action: 'fix the variables or file named',
    raisedBy: ['NetpolError'],
  },
  E_FORBIDDEN: {
    meaning: 'the person may not do this (request here, approve)',
    action: "ask an approver, or an admin to change the config's requesters or approvers",
    raisedBy: ['NetpolError'],
  },
  E_ALERT_GONE: {
    meaning: "a drop alert's button was clicked after the alert was forgotten (kept a day)",
    action: 'type the request yourself: /netpol allow <from> to <to> on <port>',
    raisedBy: ['NetpolError'],
  },
  E_HASH_MISMATCH: {
    meaning: 'the policies to apply differ from the ones that were approved',
    action: 'nothing was applied; submit the request again',
    raisedBy: ['ApplyRefusal'],
  },
  E_EXISTS: {
    meaning: 'the request store was asked to create an id it already holds',
    action: 'a bug (ids come from newRequestId()): report it',
    raisedBy: ['RequestStoreError'],
  },
  E_INVALID: {
    meaning: 'the request store was given a malformed record, id or time',
    action: 'a bug in the caller: report it',
    raisedBy: ['RequestStoreError'],
  },
  E_NOT_FOUND: {
    meaning: 'an approval message was recorded for an unknown request',
    action: 'none: the message was for nothing',
    raisedBy: ['RequestStoreError'],
  },
  E_REDIS: {
    meaning: 'Redis failed or is unreachable (the cause is attached)',
    action: 'transient: check Redis (REDIS_URL); the work is retried',
    raisedBy: ['RequestStoreError'],
  },
  E_CORRUPT: {
    meaning: 'a stored request cannot be read back',
    action: 'inspect the Redis key named',
    raisedBy: ['RequestStoreError'],
  },
  E_SLACK_RATE_LIMITED: {
    meaning: 'Slack answered 429 with Retry-After',
    action: 'none: the outbound queue pauses that long, no attempt used',
    raisedBy: ['SlackOutboundError'],
  },
  E_SLACK_REFUSED: {
    meaning: 'Slack refused the call (`channel_not_found`, ...); the message is dropped',
    action: "fix the channel, the bot's membership or token, or the message",
    raisedBy: ['SlackOutboundError'],
  },
  E_SLACK_UNAVAILABLE: {
    meaning: "5xx, network, timeout or Slack's own internal error",
    action: 'none: retried with backoff; check the network to Slack if it persists',
    raisedBy: ['SlackOutboundError'],
  },
  E_SLACK_HOOK: {
    meaning: 'the message was posted but its follow-up (`onPosted`) failed',
    action: 'none: the hook is retried, the message is never posted twice',
    raisedBy: ['SlackOutboundError'],
  },
  E_KUBE_FORBIDDEN: {
    meaning:
      "403: the worker's service account (or the CLI's kubeconfig user) lacks the verb named (RBAC); not retried",
    action: "grant it (the chart's ClusterRole lists what the worker needs; the CLI needs list)",
    raisedBy: ['KubeApiError', 'NetpolError'],
  },
  E_KUBE_UNAUTHORIZED: {
    meaning: "401: the API server rejected the worker's (or the CLI's kubeconfig) credentials; retried",
    action: 'fix the kubeconfig or the service account token',
    raisedBy: ['KubeApiError', 'NetpolError'],
  },
  E_KUBE_NOT_FOUND: {
    meaning: '404: the target namespace (or the resource) does not exist; not retried',
    action: 'create the namespace, or fix the request',
    raisedBy: ['KubeApiError'],
  },
  E_KUBE_INVALID: {
    meaning: '400 or 422: the API server refused the object (validation, admission); not retried',
    action: 'read the message (it names the field); report it if netpol built the object',
    raisedBy: ['KubeApiError'],
  },
  E_KUBE_CONFLICT: {
    meaning: '409 or 410: a concurrent writer or a stale resourceVersion; retried',
    action: 'none: the next attempt reads again',
    raisedBy: ['KubeApiError'],
  },
  E_KUBE_UNAVAILABLE: {
    meaning: 'no answer, 429, 5xx or another status from the Kubernetes API; retried',
    action: 'check the API server and the network from the worker (or the kubeconfig server)',
    raisedBy: ['KubeApiError', 'NetpolError'],
  },
  E_KUBECONFIG: {
    meaning: 'the CLI found no kubeconfig, cannot read it, or it has no such context',
    action: 'point --kubeconfig or KUBECONFIG at it, pick --context, or give --state FILE',
    raisedBy: ['NetpolError'],
  },
  E_BPF_PERMISSION: {
    meaning: "the node agent's loader helper lacks a capability for a BPF or tc operation (EPERM/EACCES)",
    action:
      'run it as root with CAP_BPF and CAP_NET_ADMIN in the node namespace (NETPOL_NODE_NETNS -); another namespace also needs CAP_SYS_ADMIN',
    raisedBy: ['BpfLoaderError'],
  },
  E_BPF_VERIFIER: {
    meaning: "the kernel's verifier refused a program (its last lines are in the message)",
    action: 'a kernel older than the object needs (5.8+), or a bug in bpf/: report it with those lines',
    raisedBy: ['BpfLoaderError'],
  },
  E_BPF_OBJECT: {
    meaning: 'the eBPF object cannot be opened or loaded, or its maps cannot be pinned',
    action:
      'npm run build:bpf; check NETPOL_BPF_OBJECT, and that NETPOL_BPF_PIN_DIR is on a mounted bpffs (mount -t bpf bpf /sys/fs/bpf)',
    raisedBy: ['BpfLoaderError'],
  },
  E_BPF_NETNS: {
    meaning: 'the network namespace NETPOL_NODE_NETNS names does not exist or cannot be entered',
    action: 'fix NETPOL_NODE_NETNS (- with hostNetwork, else a name under /var/run/netns or a path)',
    raisedBy: ['BpfLoaderError'],
  },
  E_BPF_NO_LINK: {
    meaning: "no link of that name in the node's namespace (a pod's veth went away)",
    action: 'none: the pod is looked up again on the next pass',
    raisedBy: ['BpfLoaderError'],
  },
  E_BPF_ATTACH: {
    meaning: 'tc refused the clsact qdisc or the programs on a host veth, or the link watch',
    action: 'read the errno named; another tc user of the link (a CNI in policy mode) is the usual cause',
    raisedBy: ['BpfLoaderError'],
  },
  E_BPF_MAP: {
    meaning: 'a map write, lookup or the ring buffer was refused (a full map: E2BIG, ENOSPC, ENOMEM)',
    action: 'a full map: fewer pods or rules per node, or larger maps in bpf/netpol.bpf.c; else report it',
    raisedBy: ['BpfLoaderError'],
  },
  E_BPF_LOADER_EXITED: {
    meaning: 'the loader helper is not running (exited, killed, or its binary is missing)',
    action: "check NETPOL_BPF_LOADER and the helper's last log lines; the agent's supervisor restarts it",
    raisedBy: ['BpfLoaderError'],
  },
} as const satisfies Record<string, ErrorCatalogueEntry>;

/** Every code in the catalogue. */
export type CatalogueCode = keyof typeof ERROR_CATALOGUE;

/** The codes one class may carry: `CodeOf<'ApplyRefusal'>` is 'E_NOT_OWNED' | 'E_HASH_MISMATCH'. */
export type CodeOf<C extends ErrorClassName> = {
  [K in CatalogueCode]: C extends (typeof ERROR_CATALOGUE)[K]['raisedBy'][number] ? K : never;
}[CatalogueCode];

/** The catalogue as a Markdown table, padded as prettier pads it: README's "Errors" section. */
export function errorTableMarkdown(): string {
  const header = ['code', 'meaning', 'what to do'];
  const rows = Object.entries(ERROR_CATALOGUE).map(([code, entry]) => [code, entry.meaning, entry.action]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] as string).length)),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] as number)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

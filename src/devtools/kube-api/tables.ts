/**
 * Server-side printing: the `meta.k8s.io/v1 Table` the real server returns when a client asks for
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (kubectl get does), with the columns of the
 * real printers for namespaces, pods and networkpolicies. Pure: `now` comes in.
 */
import type { ResourceName } from './resources';

type Obj = Record<string, unknown>;

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const col = (name: string, description: string, format = '', priority = 0, type = 'string'): Column => ({
  name,
  type,
  format,
  description,
  priority,
});

const NAME = col('Name', 'Name must be unique within a namespace.', 'name');
const AGE = col(
  'Age',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
);

const COLUMNS: Record<ResourceName, Column[]> = {
  namespaces: [NAME, col('Status', 'The status of the namespace'), AGE],
  pods: [
    NAME,
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'The number of times the containers in this pod have been restarted.', '', 0, 'string'),
    AGE,
    col('IP', 'IP address allocated to the pod.', '', 1),
    col('Node', 'Name of the Node this pod is assigned to.', '', 1),
    col('Nominated Node', 'Name of the node on which the pod is nominated.', '', 1),
    col('Readiness Gates', 'Pod Readiness Gates.', '', 1),
  ],
  networkpolicies: [
    NAME,
    col('Pod-Selector', 'Selects the pods to which this NetworkPolicy object applies.'),
    AGE,
  ],
};

/** apimachinery's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) {
    return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  }
  return `${Math.floor(days / 365)}y`;
}

/** metav1.FormatLabelSelector: requirements sorted by key, `<none>` when empty. */
export function formatLabelSelector(selector: unknown): string {
  const s = (selector ?? {}) as Obj;
  const reqs: [string, string][] = [];
  for (const [k, v] of Object.entries((s.matchLabels ?? {}) as Record<string, string>))
    reqs.push([k, `${k}=${v}`]);
  for (const e of (s.matchExpressions ?? []) as Obj[]) {
    const key = String(e.key);
    const values = [...((e.values ?? []) as string[])].sort().join(',');
    const text =
      e.operator === 'In'
        ? `${key} in (${values})`
        : e.operator === 'NotIn'
          ? `${key} notin (${values})`
          : e.operator === 'Exists'
            ? key
            : `!${key}`;
    reqs.push([key, text]);
  }
  reqs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = reqs.map(([, t]) => t).join(',');
  return text === '' ? '<none>' : text;
}

function age(object: Obj, now: Date): string {
  const created = ((object.metadata ?? {}) as Obj).creationTimestamp;
  if (typeof created !== 'string') return '<unknown>';
  return humanDuration(now.getTime() - Date.parse(created));
}

function cells(resource: ResourceName, object: Obj, now: Date): unknown[] {
  const meta = (object.metadata ?? {}) as Obj;
  const spec = (object.spec ?? {}) as Obj;
  const status = (object.status ?? {}) as Obj;
  switch (resource) {
    case 'namespaces':
      return [meta.name, status.phase ?? 'Active', age(object, now)];
    case 'networkpolicies':
      return [meta.name, formatLabelSelector(spec.podSelector), age(object, now)];
    case 'pods': {
      const containers = (spec.containers ?? []) as Obj[];
      const statuses = (status.containerStatuses ?? []) as Obj[];
      const ready = statuses.filter((c) => c.ready === true).length;
      const restarts = statuses.reduce(
        (n, c) => n + (typeof c.restartCount === 'number' ? c.restartCount : 0),
        0,
      );
      return [
        meta.name,
        `${ready}/${containers.length}`,
        status.reason ?? status.phase ?? 'Unknown',
        restarts,
        age(object, now),
        status.podIP ?? '<none>',
        spec.nodeName ?? '<none>',
        status.nominatedNodeName ?? '<none>',
        '<none>',
      ];
    }
  }
}

function partialMetadata(object: Obj): Obj {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function toTable(
  resource: ResourceName,
  objects: Obj[],
  options: { resourceVersion?: string; includeObject: IncludeObject; now: Date },
): Obj {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.resourceVersion === undefined ? {} : { resourceVersion: options.resourceVersion },
    columnDefinitions: COLUMNS[resource],
    rows: objects.map((o) => {
      const row: Obj = { cells: cells(resource, o, options.now) };
      if (options.includeObject === 'Metadata') row.object = partialMetadata(o);
      if (options.includeObject === 'Object') row.object = o;
      return row;
    }),
  };
}

/** Whether an Accept header asks for a Table (`application/json;as=Table;v=v1;g=meta.k8s.io`). */
export function wantsTable(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.split(',').some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
}

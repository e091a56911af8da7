/**
 * A pod's workload (issue 10): its owner-ish name and the narrowest sensible selector of its pods,
 * shared by the alerts (drop groups) and the agent's observed flows, so both name a pod the same.
 *
 * The name is the value of `app.kubernetes.io/name`, else `app`, else the pod's name without the
 * suffix its controller generated (`web-7d4b9c8f5-x2k4q` -> `web`, `agent-x2k4q` -> `agent`). The
 * selector is the label the name came from, else the pod's own labels without the controller's
 * bookkeeping ones. Pure.
 */
import { emptyRecord } from '../own-keys';
import { VOLATILE_POD_LABELS } from './controller-labels';

/** What naming needs of a pod. */
export interface PodLike {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
}

export interface Workload {
  kind: 'workload';
  namespace: string;
  name: string;
  selector: Record<string, string>;
}

const NAME_LABELS = ['app.kubernetes.io/name', 'app'] as const;

/** Labels controllers add to every pod they make: never part of a workload's selector. */
const GENERATED_LABELS: ReadonlySet<string> = new Set([
  ...VOLATILE_POD_LABELS,
  'job-name',
  'batch.kubernetes.io/job-name',
]);

/**
 * Deployment pods (`<name>-<replicaset hash>-<5>`), then DaemonSet/Job pods (`<name>-<5>`), in the
 * alphabet Kubernetes generates names from (no vowels, no 0, 1, 3: `exporter` is not a suffix).
 */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const GENERATED_SUFFIXES = [new RegExp(`^(.+)-${SAFE}{6,10}-${SAFE}{5}$`), new RegExp(`^(.+)-${SAFE}{5}$`)];

function own(labels: Record<string, string>, key: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : undefined;
}

/** The pod's name without its controller's generated suffix (the pod's name when it has none). */
export function baseName(podName: string, templateHash?: string): string {
  if (templateHash !== undefined && podName.includes(`-${templateHash}-`))
    return podName.slice(0, podName.lastIndexOf(`-${templateHash}-`));
  for (const pattern of GENERATED_SUFFIXES) {
    const match = pattern.exec(podName);
    if (match !== null) return match[1]!;
  }
  return podName;
}

export function workloadOf(pod: PodLike): Workload {
  const labels = pod.labels ?? {};
  for (const key of NAME_LABELS) {
    const value = own(labels, key);
    if (value !== undefined && value !== '') {
      return { kind: 'workload', namespace: pod.namespace, name: value, selector: { [key]: value } };
    }
  }
  const selector = emptyRecord<string>();
  for (const key of Object.keys(labels).sort()) if (!GENERATED_LABELS.has(key)) selector[key] = labels[key]!;
  return {
    kind: 'workload',
    namespace: pod.namespace,
    name: baseName(pod.name, own(labels, 'pod-template-hash')),
    selector,
  };
}

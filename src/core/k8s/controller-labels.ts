/**
 * Labels controllers stamp on the pods they make per revision or per replica (Deployments,
 * StatefulSets, DaemonSets, Jobs): never part of a workload's identity, so never written into a
 * selector that should keep matching the workload's next pods.
 */
export const VOLATILE_POD_LABELS: ReadonlySet<string> = new Set([
  'pod-template-hash',
  'controller-revision-hash',
  'pod-template-generation',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'controller-uid',
  'batch.kubernetes.io/controller-uid',
]);

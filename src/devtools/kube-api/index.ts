/**
 * The Kubernetes API stand-in: start it with `startKubeApiStandIn()`, point client-node at
 * `standIn.kubeConfig()` or kubectl at `writeKubeconfig(path)`. See server.ts for the lifecycle.
 */
export {
  startKubeApiStandIn,
  type Fault,
  type FaultStatus,
  type InitialObjects,
  type KubeApiStandIn,
  type KubeApiStandInOptions,
  type RecordedRequest,
  type SeedOptions,
  type StoreView,
  type Verb,
} from './server';
export { kubeconfigDocument, kubeconfigYaml, type StandInEndpoint } from './kubeconfig';
export type { Status, StatusCause, StatusDetails } from './status';

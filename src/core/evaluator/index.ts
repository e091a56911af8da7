/**
 * The NetworkPolicy evaluator: networking.k8s.io/v1 semantics over a precomputed, immutable
 * PolicyIndex. Build the index once per ClusterState, then ask per connection
 * (evaluateConnection), for the whole pod matrix (computeMatrix), or for one pod's compiled rule
 * set (compilePodIngress/compilePodEgress). The node agent keeps a LiveIndex instead: sides that
 * name shared selectors, kept current one event at a time (structural changes and selector
 * deltas); resolveSide gives the same rule sets as pod lists.
 */
export { buildPolicyIndex } from './policy-index';
export type { IndexedIpBlock, IndexedPeers, IndexedPolicy, IndexedRule, PolicyIndex } from './policy-index';
export { endpointForIp, evaluateConnection } from './connection';
export type { ConnectionVerdict, Direction, RuleRef, SideVerdict, TrafficEndpoint } from './verdict';
export { computeMatrix } from './matrix';
export type { ReachabilityMatrix } from './matrix';
export { compiledSideAllows, compilePodEgress, compilePodIngress, podSetKeys, podSetPods } from './compile';
export type {
  CompiledIpBlock,
  CompiledNamedPort,
  CompiledPeers,
  CompiledPort,
  CompiledPortRange,
  CompiledRule,
  CompiledSide,
} from './compile';
export { PodSet } from './pod-set';
export { effectivePolicyTypes } from '../k8s/policy-types';
export { ruleText } from './reasons';
export { connectionsCut, probePorts } from './connections-cut';
export { LiveIndex } from './live-index';
export type { IndexEvent, PodClass } from './live-index';
export { keyedSide, resolveRule, resolveSide } from './keyed-side';
export type {
  IndexReport,
  KeyedNamedPort,
  KeyedRule,
  KeyedSide,
  SelectorDelta,
  SelectorIpBlock,
  SelectorNamedPort,
  SelectorRule,
  SelectorSide,
  SelectorView,
  SideChange,
} from './keyed-side';

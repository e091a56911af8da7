/**
 * Pre-flight warnings for a policy request, computed against the cluster state, each with a stable
 * code (REFERENCE.md §5 catalogue) so the bot, the CLI and the docs agree on what they mean. Pure:
 * the state before, the policies the request adds, and the evaluator's answers before and after.
 */
import { cidrContainsIp, parseCidr, parseIp } from '../k8s/cidr';
import { buildPolicyIndex, connectionsCut, type PolicyIndex } from '../evaluator';
import { effectivePolicyTypes, policiesIsolating } from '../k8s/policy-types';
import { NAMESPACE_NAME_LABEL, type NetworkPolicy, type PolicyType } from '../k8s/types';
import type { EndpointRef, PeerRef, PolicyRequest, PortsRef } from '../request/request';
import { podsOfEndpoint } from '../request/resolve-request';
import { ownValue } from '../own-keys';
import { closest } from '../request/suggest';
import { podKey, policyKey, type ClusterState } from '../state/cluster-state';
import { enforcedState } from '../state/enforced-state';
import { asEnforced } from './audit-policies';

export type WarningCode =
  | 'W001_NEW_ISOLATION'
  | 'W002_DNS_BLOCKED'
  | 'W006_NAMED_PORT'
  | 'W007_AND_OR'
  | 'W008_NS_LABEL_SPOOFABLE'
  | 'W009_SELECTOR_MATCHES_NOTHING'
  | 'W010_IPBLOCK_COVERS_PODS'
  | 'W013_DENY_INEFFECTIVE'
  | 'W021_BROAD_ALLOW';

export interface Warning {
  code: WarningCode;
  message: string;
}

export function formatWarning(warning: Warning): string {
  return `warning ${warning.code}: ${warning.message}`;
}

const EXAMPLES = 5;

/**
 * Audit mode (issue 10): the cluster is read as enforced (audit policies left out), and the policies
 * of an `--audit` request are judged as if enforced, their effect warnings starting "once enforced".
 */
export function computeWarnings(
  request: PolicyRequest,
  planned: readonly NetworkPolicy[],
  cluster: ClusterState,
): Warning[] {
  const state = enforcedState(cluster);
  const added = request.audit === undefined ? planned : asEnforced(planned);
  const after: ClusterState = { ...state, policies: mergePolicies(state.policies, added) };
  const effect: Warning[] = [...newIsolation(state, after), ...dnsBlocked(state, after)];
  const warnings: Warning[] = [
    ...(request.audit === undefined
      ? effect
      : effect.map((w) => ({ ...w, message: `once enforced, ${w.message}` }))),
    ...selectorsMatchingNothing(request, state),
    ...spoofableNamespaceLabels(request),
    ...ipBlocksCoveringPods(request, state),
    ...namedPortsDiffering(request, state),
    ...denyIneffective(request, added, state),
    ...broadAllow(request),
  ];
  if (request.verb === 'allow' && request.andAsOr) {
    warnings.push({
      code: 'W007_AND_OR',
      message:
        '"and" between peers was read as OR (either may connect); for pods that carry both labels write one selector: ns/a=1,b=2',
    });
  }
  return warnings;
}

function mergePolicies(existing: readonly NetworkPolicy[], added: readonly NetworkPolicy[]): NetworkPolicy[] {
  const addedKeys = new Set(added.map(policyKey));
  return [...existing.filter((p) => !addedKeys.has(policyKey(p))), ...added];
}

function requestEndpoints(request: PolicyRequest): EndpointRef[] {
  const peers: PeerRef[] =
    request.verb === 'allow'
      ? [...request.from, ...request.to]
      : request.verb === 'deny'
        ? [
            ...(request.subject.kind === 'endpoint' ? [request.subject.endpoint] : []),
            ...request.except.map((e) => e.peer),
          ]
        : [];
  return peers.filter((p): p is EndpointRef => p.type === 'endpoint');
}

function describeEndpoint(endpoint: EndpointRef): string {
  const ns = endpoint.namespace;
  const nsText = ns.kind === 'name' ? ns.name : ns.kind === 'all' ? '*' : 'ns(...)';
  const pods = endpoint.pods;
  const podText =
    pods.kind === 'all'
      ? '*'
      : pods.kind === 'bare'
        ? pods.word
        : pods.kind === 'named'
          ? `${pods.objectKind}/${pods.name}`
          : pods.requirements.map((r) => ('value' in r ? `${r.key}${r.op}${r.value}` : r.key)).join(',');
  return `${nsText}/${podText}`;
}

function examples(items: readonly string[]): string {
  return items.length <= EXAMPLES
    ? items.join(', ')
    : `${items.slice(0, EXAMPLES).join(', ')} and ${items.length - EXAMPLES} more`;
}

function isolatedPods(state: ClusterState, direction: PolicyType): Set<string> {
  return new Set(
    state.pods.filter((pod) => policiesIsolating(state.policies, pod, direction).length > 0).map(podKey),
  );
}

/** W001: pods that were open become default-deny, and the in-cluster connections that this cuts. */
function newIsolation(before: ClusterState, after: ClusterState): Warning[] {
  const warnings: Warning[] = [];
  let beforeIndex: PolicyIndex | undefined;
  let afterIndex: PolicyIndex | undefined;
  for (const direction of ['Ingress', 'Egress'] as const) {
    const was = isolatedPods(before, direction);
    const newly = after.pods.filter(
      (p) => !was.has(podKey(p)) && policiesIsolating(after.policies, p, direction).length > 0,
    );
    if (newly.length === 0) continue;
    beforeIndex ??= buildPolicyIndex(before);
    afterIndex ??= buildPolicyIndex(after);
    const cut = connectionsCut(
      beforeIndex,
      afterIndex,
      after.pods,
      newly.map((pod) => ({ pod, direction })),
    );
    const word = direction.toLowerCase();
    const cutText =
      cut.length === 0
        ? 'no connection between known pods is cut'
        : `${cut.length} connection(s) that work today will be dropped: ${examples(cut)}`;
    warnings.push({
      code: 'W001_NEW_ISOLATION',
      message: `${newly.length} pod(s) become isolated for ${word} (${examples(newly.map(podKey))}); ${cutText}`,
    });
  }
  return warnings;
}

function allowsUdp53(policy: NetworkPolicy): boolean {
  return (policy.spec.egress ?? []).some(
    (rule) =>
      (rule.ports ?? []).length === 0 ||
      (rule.ports ?? []).some(
        (p) =>
          (p.protocol ?? 'TCP') === 'UDP' &&
          (p.port === undefined ||
            p.port === 'dns' ||
            (typeof p.port === 'number' && p.port <= 53 && 53 <= (p.endPort ?? p.port))),
      ),
  );
}

/** W002: pods that become isolated for egress and have no rule letting DNS queries out. */
function dnsBlocked(before: ClusterState, after: ClusterState): Warning[] {
  const was = isolatedPods(before, 'Egress');
  const blocked = after.pods.filter((pod) => {
    if (was.has(podKey(pod))) return false;
    const selecting = policiesIsolating(after.policies, pod, 'Egress');
    return selecting.length > 0 && !selecting.some(allowsUdp53);
  });
  if (blocked.length === 0) return [];
  return [
    {
      code: 'W002_DNS_BLOCKED',
      message: `${blocked.length} pod(s) lose DNS (UDP/53 is not allowed out): ${examples(blocked.map(podKey))}; add "except dns" to keep name resolution working`,
    },
  ];
}

function selectorsMatchingNothing(request: PolicyRequest, state: ClusterState): Warning[] {
  return requestEndpoints(request)
    .filter((endpoint) => podsOfEndpoint(state, endpoint).length === 0)
    .map((endpoint) => {
      const suggestion = closestLabel(endpoint, state);
      const advice = suggestion === undefined ? 'check the labels' : `did you mean ${suggestion}?`;
      return {
        code: 'W009_SELECTOR_MATCHES_NOTHING' as const,
        message: `${describeEndpoint(endpoint)} matches no pod today: ${advice} (the policy still applies to pods that appear later)`,
      };
    });
}

/** For `key=value` matching nothing: the closest value pods of that namespace carry under that key. */
function closestLabel(endpoint: EndpointRef, state: ClusterState): string | undefined {
  if (endpoint.pods.kind !== 'selector' || endpoint.namespace.kind !== 'name') return undefined;
  const namespace = endpoint.namespace.name;
  for (const requirement of endpoint.pods.requirements) {
    if (requirement.op !== '=') continue;
    const values = state.pods
      .filter((p) => p.namespace === namespace)
      .map((p) => ownValue(p.labels, requirement.key));
    const near = closest(requirement.value, new Set(values.filter((v): v is string => v !== undefined)));
    if (near !== undefined && near !== requirement.value) return `${namespace}/${requirement.key}=${near}`;
  }
  return undefined;
}

function spoofableNamespaceLabels(request: PolicyRequest): Warning[] {
  return requestEndpoints(request)
    .filter(
      (e) =>
        e.namespace.kind === 'selector' &&
        e.namespace.requirements.some((r) => r.key !== NAMESPACE_NAME_LABEL),
    )
    .map((endpoint) => ({
      code: 'W008_NS_LABEL_SPOOFABLE' as const,
      message: `${describeEndpoint(endpoint)} selects namespaces by a label their owners can set themselves; name them instead (frontend/... or ns(${NAMESPACE_NAME_LABEL} in (a,b)))`,
    }));
}

function ipBlocksCoveringPods(request: PolicyRequest, state: ClusterState): Warning[] {
  const peers: PeerRef[] =
    request.verb === 'allow'
      ? [...request.from, ...request.to]
      : request.verb === 'deny'
        ? request.except.map((e) => e.peer)
        : [];
  const warnings: Warning[] = [];
  for (const peer of peers) {
    if (peer.type !== 'cidr') continue;
    const cidr = parseCidr(peer.cidr);
    const excepts = peer.except.map(parseCidr);
    const covered = state.pods.filter((pod) => {
      if (pod.ip === undefined || pod.hostNetwork) return false;
      const ip = parseIp(pod.ip);
      return cidrContainsIp(cidr, ip) && !excepts.some((e) => cidrContainsIp(e, ip));
    });
    if (covered.length > 0) {
      warnings.push({
        code: 'W010_IPBLOCK_COVERS_PODS',
        message: `${peer.cidr} covers ${covered.length} pod IP(s) (${examples(covered.map((p) => `${podKey(p)} ${p.ip}`))}); whether an ipBlock matches pod traffic depends on the CNI: select pods by label instead`,
      });
    }
  }
  return warnings;
}

function namedPortsDiffering(request: PolicyRequest, state: ClusterState): Warning[] {
  const checks: { ports: PortsRef; destinations: EndpointRef[] }[] = [];
  if (request.verb === 'allow') {
    checks.push({
      ports: request.ports,
      destinations: request.to.filter((p): p is EndpointRef => p.type === 'endpoint'),
    });
  } else if (request.verb === 'deny') {
    for (const item of request.except) {
      const destinations =
        request.direction !== 'ingress' && item.peer.type === 'endpoint'
          ? [item.peer]
          : request.subject.kind === 'endpoint'
            ? [request.subject.endpoint]
            : [];
      checks.push({ ports: item.ports, destinations });
    }
  }
  const warnings: Warning[] = [];
  for (const { ports, destinations } of checks) {
    if (ports === 'any') continue;
    const pods = destinations.flatMap((d) => podsOfEndpoint(state, d));
    for (const port of ports) {
      if (port.name === undefined || pods.length === 0) continue;
      const numbers = new Map<number, string[]>();
      for (const pod of pods) {
        const match = pod.ports.find((p) => p.name === port.name && p.protocol === port.protocol);
        if (match !== undefined)
          numbers.set(match.containerPort, [...(numbers.get(match.containerPort) ?? []), podKey(pod)]);
      }
      if (numbers.size === 0) {
        warnings.push({
          code: 'W006_NAMED_PORT',
          message: `no destination pod has a ${port.protocol} container port named "${port.name}", so this rule matches no traffic today`,
        });
      } else if (numbers.size > 1) {
        const detail = [...numbers.entries()].map(([n, where]) => `${n} on ${examples(where)}`).join('; ');
        warnings.push({
          code: 'W006_NAMED_PORT',
          message: `port name "${port.name}" means different numbers on different pods: ${detail}`,
        });
      }
    }
  }
  return warnings;
}

/** W013: NetworkPolicies only add; a deny cannot take back what other policies of the pods allow. */
function denyIneffective(
  request: PolicyRequest,
  added: readonly NetworkPolicy[],
  state: ClusterState,
): Warning[] {
  if (request.verb !== 'deny') return [];
  const addedKeys = new Set(added.map(policyKey));
  const subjects =
    request.subject.kind === 'endpoint'
      ? podsOfEndpoint(state, request.subject.endpoint)
      : state.pods.filter((p) => p.namespace === (request.subject as { namespace: string }).namespace);
  const directions: PolicyType[] =
    request.direction === 'all'
      ? ['Ingress', 'Egress']
      : request.direction === 'ingress'
        ? ['Ingress']
        : ['Egress'];
  const warnings: Warning[] = [];
  for (const direction of directions) {
    const allowing = new Set<string>();
    for (const pod of subjects) {
      for (const policy of policiesIsolating(state.policies, pod, direction)) {
        if (addedKeys.has(policyKey(policy))) continue;
        const rules = direction === 'Ingress' ? policy.spec.ingress : policy.spec.egress;
        if ((rules ?? []).length > 0 && effectivePolicyTypes(policy.spec).includes(direction))
          allowing.add(policyKey(policy));
      }
    }
    if (allowing.size > 0) {
      warnings.push({
        code: 'W013_DENY_INEFFECTIVE',
        message: `existing policies still allow ${direction.toLowerCase()} for these pods, and policies only add: ${examples([...allowing].sort())}`,
      });
    }
  }
  return warnings;
}

function broadAllow(request: PolicyRequest): Warning[] {
  if (request.verb !== 'allow' || request.ports !== 'any') return [];
  const broad = [...request.from, ...request.to].filter(
    (p) =>
      p.type === 'all' ||
      (p.type === 'cidr' && (p.cidr === '0.0.0.0/0' || p.cidr === '::/0') && p.except.length === 0) ||
      (p.type === 'endpoint' && p.namespace.kind === 'all' && p.pods.kind === 'all'),
  );
  if (broad.length === 0) return [];
  const what = broad.map((p) => (p.type === 'all' ? 'all' : p.type === 'cidr' ? p.cidr : '*/*')).join(', ');
  return [
    {
      code: 'W021_BROAD_ALLOW',
      message: `${what} on every port re-opens everything for these pods; narrow it with "on tcp/PORT" or a selector`,
    },
  ];
}

/**
 * Answers the reachability questions of the request language with the evaluator, as text a person
 * reads in a terminal or a Slack thread: "can A reach B" gives each pair's verdict and reasons; "who
 * can reach X" and "what can X reach" list the pods on the other side, per port.
 * A port not given means each port the destination pod declares (else TCP/80).
 * Policies in audit mode decide nothing (the index leaves them out); a `can` verdict they would turn
 * once enforced says so ("backend/deny-all is in audit mode and would block it"; probe-verdict.ts).
 */
import { NetpolError } from '../errors';
import { evaluateConnection, type PolicyIndex, type TrafficEndpoint } from '../evaluator';
import type { Protocol } from '../k8s/types';
import type { CanReachQuery, PortsRef, QueryEndpoint, QueryRequest } from '../request/request';
import { podsOfEndpoint } from '../request/resolve-request';
import { podKey, type ClusterState, type PodInfo } from '../state/cluster-state';
import { auditedIndex, probeVerdict, renderProbedVerdict, type ProbedVerdict } from './probe-verdict';

const MAX_PAIRS = 50;

interface Probe {
  port: number;
  protocol: Protocol;
}

export function answerQuery(request: QueryRequest, state: ClusterState, index: PolicyIndex): string {
  switch (request.verb) {
    case 'can':
      return answerCan(request, state, index);
    case 'who-can-reach':
      return answerReachList(podsOrFail(state, request.target), request.ports, state, index, 'in');
    case 'what-can-reach':
      return answerReachList(podsOrFail(state, request.source), request.ports, state, index, 'out');
  }
}

function podsOrFail(state: ClusterState, endpoint: QueryEndpoint): TrafficEndpoint[] {
  if (endpoint.type === 'cidr') {
    const prefix = Number(endpoint.cidr.split('/')[1]);
    if (prefix !== 32 && prefix !== 128) {
      throw new NetpolError('E_USAGE', `a question needs one address, not the range ${endpoint.cidr}`, {
        column: endpoint.span.start + 1,
      });
    }
    const ip = endpoint.cidr.split('/')[0] as string;
    const pod = state.pods.find((p) => p.ip === ip && !p.hostNetwork);
    return [pod === undefined ? { kind: 'ip', ip } : { kind: 'pod', pod }];
  }
  const pods = podsOfEndpoint(state, endpoint);
  if (pods.length === 0) {
    throw new NetpolError('E_UNKNOWN_ENDPOINT', 'no pod in the cluster matches that endpoint', {
      column: endpoint.span.start + 1,
      hint: 'check the namespace and labels: netpol matrix lists every pod',
    });
  }
  return pods.map((pod) => ({ kind: 'pod', pod }));
}

function probesFor(ports: PortsRef, destination: TrafficEndpoint): Probe[] {
  const pod = destination.kind === 'pod' ? destination.pod : undefined;
  if (ports === 'any') {
    const declared = (pod?.ports ?? []).map((p) => ({ port: p.containerPort, protocol: p.protocol }));
    return declared.length > 0 ? dedupe(declared) : [{ port: 80, protocol: 'TCP' }];
  }
  const probes: Probe[] = [];
  for (const p of ports) {
    if (p.name !== undefined) {
      const match = pod?.ports.find((c) => c.name === p.name && c.protocol === p.protocol);
      if (match !== undefined) probes.push({ port: match.containerPort, protocol: match.protocol });
    } else if (p.port !== undefined) {
      // A range is probed at its ends: the evaluator answers per port.
      probes.push({ port: p.port, protocol: p.protocol });
      if (p.endPort !== undefined && p.endPort !== p.port)
        probes.push({ port: p.endPort, protocol: p.protocol });
    }
  }
  return dedupe(probes);
}

function dedupe(probes: Probe[]): Probe[] {
  const seen = new Set<string>();
  return probes.filter((p) => {
    const key = `${p.protocol}/${p.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function name(endpoint: TrafficEndpoint): string {
  return endpoint.kind === 'pod' ? podKey(endpoint.pod) : endpoint.ip;
}

export type { ProbedVerdict } from './probe-verdict';

/** Every (source, destination, port) verdict a `can A reach B` question asks for. */
export function canReachVerdicts(
  request: CanReachQuery,
  state: ClusterState,
  index: PolicyIndex,
): ProbedVerdict[] {
  const verdicts: ProbedVerdict[] = [];
  const audit = auditedIndex(state);
  for (const src of podsOrFail(state, request.from))
    for (const dst of podsOrFail(state, request.to))
      for (const probe of probesFor(request.ports, dst))
        verdicts.push(probeVerdict(index, audit, { src, dst, ...probe }));
  return verdicts;
}

function answerCan(request: CanReachQuery, state: ClusterState, index: PolicyIndex): string {
  const verdicts = canReachVerdicts(request, state, index);
  if (verdicts.length === 0) return 'the destination has no port of that name\n';
  const shown = verdicts.slice(0, MAX_PAIRS).map(renderProbedVerdict);
  const allowed = verdicts.filter((v) => v.verdict.allowed).length;
  const summary =
    verdicts.length === 1
      ? ''
      : `${allowed} of ${verdicts.length} connections allowed${verdicts.length > MAX_PAIRS ? ` (first ${MAX_PAIRS} shown)` : ''}\n`;
  return `${shown.join('')}${summary}`;
}

function answerReachList(
  subjects: TrafficEndpoint[],
  ports: PortsRef,
  state: ClusterState,
  index: PolicyIndex,
  direction: 'in' | 'out',
): string {
  const everyone: TrafficEndpoint[] = state.pods.map((pod: PodInfo) => ({ kind: 'pod', pod }));
  const lines: string[] = [];
  for (const subject of subjects) {
    const others = everyone.filter((o) => name(o) !== name(subject));
    if (direction === 'in') {
      for (const probe of probesFor(ports, subject)) {
        const reach = others
          .filter((o) => evaluateConnection(index, o, subject, probe.port, probe.protocol).allowed)
          .map(name);
        lines.push(
          `${name(subject)} ${probe.protocol}/${probe.port} is reachable from ${reach.length} of ${others.length} pods${reach.length > 0 ? `: ${reach.join(', ')}` : ''}`,
        );
      }
    } else {
      const reached: string[] = [];
      for (const other of others) {
        const open = probesFor(ports, other).filter(
          (probe) => evaluateConnection(index, subject, other, probe.port, probe.protocol).allowed,
        );
        if (open.length > 0)
          reached.push(`${name(other)} (${open.map((p) => `${p.protocol}/${p.port}`).join(', ')})`);
      }
      lines.push(
        `${name(subject)} can reach ${reached.length} of ${others.length} pods${reached.length > 0 ? `: ${reached.join(', ')}` : ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

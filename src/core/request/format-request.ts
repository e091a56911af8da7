/**
 * The canonical form of a request: what the bot echoes back, what gets approved and what is stored.
 * Always the slash form (`frontend/app=nginx`), the protocol always spelled out (`tcp/8080`), `on any`
 * on an allow without ports, `|` between alternatives. parseRequest reads it back to the same request
 * (spans aside; `andAsOr` comes back false, since `|` is the unambiguous spelling of what `and` meant).
 */
import type {
  EndpointRef,
  NamespaceRef,
  PeerRef,
  PodRef,
  PortRef,
  PortsRef,
  QueryEndpoint,
  Request,
  SelectorRequirement,
  WorkloadRefKind,
} from './request';

/** The kubectl short names, which the parser also accepts. */
const KIND_SHORT: Record<WorkloadRefKind, string> = {
  deployment: 'deploy',
  statefulset: 'sts',
  daemonset: 'ds',
  replicaset: 'rs',
  job: 'job',
  cronjob: 'cronjob',
  service: 'svc',
  pod: 'pod',
};

function formatValue(value: string): string {
  return value === '' ? '""' : value;
}

/**
 * kubectl's notation. A lone "exists" among pods is written `k=*`, since a lone bare word there is a
 * name (`frontend/nginx`), not a label key.
 */
export function formatRequirements(
  requirements: SelectorRequirement[],
  context: 'pods' | 'namespace',
): string {
  return requirements
    .map((r) => {
      switch (r.op) {
        case '=':
        case '!=':
          return `${r.key}${r.op}${formatValue(r.value)}`;
        case 'in':
        case 'notin':
          return `${r.key} ${r.op} (${r.values.map(formatValue).join(',')})`;
        case 'exists':
          return requirements.length === 1 && context === 'pods' ? `${r.key}=*` : r.key;
        case '!exists':
          return `!${r.key}`;
      }
    })
    .join(',');
}

export function formatNamespace(namespace: NamespaceRef): string {
  switch (namespace.kind) {
    case 'name':
      return namespace.name;
    case 'all':
      return '*';
    case 'selector':
      return `ns(${formatRequirements(namespace.requirements, 'namespace')})`;
  }
}

export function formatPods(pods: PodRef): string {
  switch (pods.kind) {
    case 'all':
      return '*';
    case 'selector':
      return formatRequirements(pods.requirements, 'pods');
    case 'bare':
      return pods.word;
    case 'named':
      return `${KIND_SHORT[pods.objectKind]}/${pods.name}`;
  }
}

export function formatEndpoint(endpoint: EndpointRef): string {
  return `${formatNamespace(endpoint.namespace)}/${formatPods(endpoint.pods)}`;
}

function formatCidr(peer: { cidr: string; except: string[] }): string {
  return peer.except.length === 0 ? peer.cidr : `${peer.cidr} except ${peer.except.join(',')}`;
}

export function formatPeer(peer: PeerRef | QueryEndpoint): string {
  switch (peer.type) {
    case 'endpoint':
      return formatEndpoint(peer);
    case 'all':
      return 'all';
    case 'cidr':
      return formatCidr(peer);
    case 'keyword':
      return peer.keyword;
  }
}

export function formatPort(port: PortRef): string {
  const protocol = port.protocol.toLowerCase();
  if (port.name !== undefined) return `${protocol}/${port.name}`;
  if (port.port === undefined) return protocol;
  return port.endPort === undefined ? `${protocol}/${port.port}` : `${protocol}/${port.port}-${port.endPort}`;
}

/** `any`, or the ports in the order given: `tcp/80,udp/53`. */
export function formatPorts(ports: PortsRef): string {
  return ports === 'any' ? 'any' : ports.map(formatPort).join(',');
}

function onPorts(ports: PortsRef): string {
  return ports === 'any' ? '' : ` on ${formatPorts(ports)}`;
}

/** ` --audit 1h`, last, on a policy request in audit mode; `` otherwise. */
function auditTail(request: Request): string {
  return 'audit' in request && request.audit !== undefined ? ` --audit ${request.audit.window}` : '';
}

/** The audit-mode request's enforced twin: the same request without `--audit`. */
export function withoutAudit<R extends Request>(request: R): R {
  if (!('audit' in request)) return request;
  const copy = { ...request };
  delete copy.audit;
  return copy;
}

/**
 * The canonical text of the enforced twin of a canonical audit-mode request (what the Enforce
 * button asks to approve): the canonical form always ends with ` --audit WINDOW`.
 */
export function enforcedCommand(command: string): string {
  return command.replace(/ --audit \S+$/, '');
}

export function formatRequest(request: Request): string {
  return formatEnforced(request) + auditTail(request);
}

function formatEnforced(request: Request): string {
  switch (request.verb) {
    case 'allow': {
      const from = request.from.map(formatPeer).join(' | ');
      const to = request.to.map(formatPeer).join(' | ');
      const both = request.bothSides ? ' both-sides' : '';
      return `allow ${from} to ${to} on ${formatPorts(request.ports)}${both}`;
    }
    case 'deny': {
      const subject =
        request.subject.kind === 'namespace'
          ? `in ${request.subject.namespace}`
          : `${{ ingress: 'to', egress: 'from', all: 'for' }[request.direction]} ${formatEndpoint(request.subject.endpoint)}`;
      const except =
        request.except.length === 0
          ? ''
          : ` except ${request.except.map((item) => `${formatPeer(item.peer)}${onPorts(item.ports)}`).join(' | ')}`;
      return `deny ${request.direction} ${subject}${except}`;
    }
    case 'isolate':
      return `isolate ${request.namespace}`;
    case 'can':
      return `can ${formatPeer(request.from)} reach ${formatPeer(request.to)}${onPorts(request.ports)}`;
    case 'who-can-reach':
      return `who can reach ${formatEndpoint(request.target)}${onPorts(request.ports)}`;
    case 'what-can-reach':
      return `what can ${formatEndpoint(request.source)} reach${onPorts(request.ports)}`;
    case 'help':
      return request.topic === undefined ? 'help' : `help ${request.topic}`;
  }
}

/**
 * The typed form of a chat request, produced by the parser and consumed by the resolver, the policy
 * builder and the query answerer. Positions are 0-based character offsets into the normalised text
 * (see normalize-input.ts), so every later stage can point at the word it refuses.
 */
import type { Protocol } from '../k8s/types';

export interface Span {
  start: number;
  end: number;
}

/** One requirement of a label selector, in kubectl's notation. */
export type SelectorRequirement =
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

/** Which namespaces an endpoint lives in. */
export type NamespaceRef =
  | { kind: 'name'; name: string; span: Span }
  /** `*`: every namespace. */
  | { kind: 'all'; span: Span }
  /** `ns(team=ops)`: namespaces whose labels match. */
  | { kind: 'selector'; requirements: SelectorRequirement[]; span: Span };

export const WORKLOAD_KINDS = [
  'deployment',
  'statefulset',
  'daemonset',
  'replicaset',
  'job',
  'cronjob',
  'service',
  'pod',
] as const;
export type WorkloadRefKind = (typeof WORKLOAD_KINDS)[number];

/** Which pods of those namespaces. */
export type PodRef =
  /** `*` or nothing: every pod. */
  | { kind: 'all'; span: Span }
  /** `app=web,tier!=db`: pods whose labels match (AND). */
  | { kind: 'selector'; requirements: SelectorRequirement[]; span: Span }
  /** `nginx`: a name, resolved against the cluster (workload, Service, label keys), else `app=nginx`. */
  | { kind: 'bare'; word: string; span: Span }
  /** `deploy/nginx`, `svc/api`, `pod/web-0`: a named object whose selector is used. */
  | { kind: 'named'; objectKind: WorkloadRefKind; name: string; span: Span };

export interface EndpointRef {
  type: 'endpoint';
  namespace: NamespaceRef;
  pods: PodRef;
  span: Span;
}

export type Keyword = 'dns' | 'cluster' | 'world' | 'public';

export type PeerRef =
  | EndpointRef
  /** `all`: everything, outside the cluster included. */
  | { type: 'all'; span: Span }
  /** `10.0.0.0/16 except 10.0.1.0/24`; a bare address is written with its full prefix (/32, /128). */
  | { type: 'cidr'; cidr: string; except: string[]; span: Span }
  | { type: 'keyword'; keyword: Keyword; span: Span };

export interface PortRef {
  protocol: Protocol;
  /** Either a number (with an optional inclusive endPort), or a named container port. */
  port?: number;
  endPort?: number;
  name?: string;
  span: Span;
}

/** `'any'` when no `on` clause was given or `on any`. */
export type PortsRef = 'any' | PortRef[];

/**
 * `--audit 1h`: roll the policies out in audit mode (issue 10, core/k8s/audit-mode.ts): nothing is
 * dropped because of them; what they would drop is reported after the window.
 */
export interface AuditRef {
  /** Canonical: a whole number without leading zeros and one lower-case unit (s, m, h, d). */
  window: string;
  windowMs: number;
  span: Span;
}

export interface AllowRequest {
  verb: 'allow';
  /** Alternatives (OR). */
  from: PeerRef[];
  to: PeerRef[];
  ports: PortsRef;
  /** `both-sides`: also write the egress policy on the source side even if it is not isolated. */
  bothSides: boolean;
  /** The user wrote `and` between peers, which we read as OR (warning W007). */
  andAsOr: boolean;
  audit?: AuditRef;
}

export type Direction = 'ingress' | 'egress' | 'all';

export interface ExceptItem {
  peer: PeerRef;
  ports: PortsRef;
}

export interface DenyRequest {
  verb: 'deny';
  direction: Direction;
  /** `in backend` (every pod of the namespace) or `to|from backend/app=db` (those pods). */
  subject: { kind: 'namespace'; namespace: string; span: Span } | { kind: 'endpoint'; endpoint: EndpointRef };
  /** What stays allowed: peers the isolated pods may still talk to (egress) or hear from (ingress). */
  except: ExceptItem[];
  audit?: AuditRef;
}

/** `isolate backend`: pods of the namespace accept traffic only from the same namespace (recipe 04). */
export interface IsolateRequest {
  verb: 'isolate';
  namespace: string;
  span: Span;
  audit?: AuditRef;
}

/** The source or destination of a query: pods, or an address outside the cluster. */
export type QueryEndpoint = EndpointRef | { type: 'cidr'; cidr: string; except: string[]; span: Span };

export interface CanReachQuery {
  verb: 'can';
  from: QueryEndpoint;
  to: QueryEndpoint;
  ports: PortsRef;
}

export interface WhoCanReachQuery {
  verb: 'who-can-reach';
  target: EndpointRef;
  ports: PortsRef;
}

export interface WhatCanReachQuery {
  verb: 'what-can-reach';
  source: EndpointRef;
  ports: PortsRef;
}

export interface HelpRequest {
  verb: 'help';
  topic?: string;
}

export type PolicyRequest = AllowRequest | DenyRequest | IsolateRequest;
export type QueryRequest = CanReachQuery | WhoCanReachQuery | WhatCanReachQuery;
export type Request = PolicyRequest | QueryRequest | HelpRequest;

export function isPolicyRequest(request: Request): request is PolicyRequest {
  return request.verb === 'allow' || request.verb === 'deny' || request.verb === 'isolate';
}

export function isQueryRequest(request: Request): request is QueryRequest {
  return request.verb === 'can' || request.verb === 'who-can-reach' || request.verb === 'what-can-reach';
}

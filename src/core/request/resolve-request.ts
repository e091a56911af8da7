/**
 * Resolves a parsed request against the cluster, when one is known: namespaces must exist (else a
 * did-you-mean), and bare words and named objects become label selectors, in the order a person
 * expects (REFERENCE.md §2.7.1): a workload of that name, a Service of that name, then pods carrying
 * the word under the configured label keys (`app` first). Without a cluster a bare word is
 * `app=<word>`. Returns a new request with only selectors left, plus notes saying what was chosen.
 */
import { NetpolError } from '../errors';
import { formatSelector, selectorMatches } from '../k8s/label-selector';
import { NAMESPACE_NAME_LABEL, type LabelSelector } from '../k8s/types';
import { ownValue, recordOf } from '../own-keys';
import { toLabelSelector, toRequirements } from './selectors';
import type { ClusterState, PodInfo } from '../state/cluster-state';
import { namespaceRefMatches } from './namespace-ref';
import type { EndpointRef, PeerRef, PodRef, QueryEndpoint, Request, Span } from './request';
import { closest } from './suggest';
import { VOLATILE_POD_LABELS } from '../k8s/controller-labels';

export const DEFAULT_LABEL_KEYS: readonly string[] = ['app', 'app.kubernetes.io/name', 'k8s-app', 'name'];

export interface ResolveOptions {
  state?: ClusterState;
  /** Label keys tried for a bare word, in order. */
  labelKeys?: readonly string[];
}

export interface Resolution {
  request: Request;
  /** What each name was taken to mean, for the echo ("frontend nginx -> app=nginx (Deployment frontend/nginx)"). */
  notes: string[];
}

export function resolveRequest(request: Request, options: ResolveOptions = {}): Resolution {
  const resolver = new Resolver(options.state, options.labelKeys ?? DEFAULT_LABEL_KEYS);
  return { request: resolver.request(request), notes: resolver.notes };
}

/** Pods an endpoint denotes in the cluster (for queries and warnings); pod/NAME means that pod. */
export function podsOfEndpoint(state: ClusterState, endpoint: EndpointRef): PodInfo[] {
  const ns = endpoint.namespace;
  const namespaces = new Set(state.namespaces.filter((n) => namespaceRefMatches(ns, n)).map((n) => n.name));
  const pods = endpoint.pods;
  if (pods.kind === 'named' && pods.objectKind === 'pod') {
    return state.pods.filter((p) => namespaces.has(p.namespace) && p.name === pods.name);
  }
  const selector: LabelSelector =
    pods.kind === 'all'
      ? {}
      : pods.kind === 'selector'
        ? toLabelSelector(pods.requirements)
        : { matchLabels: { app: pods.kind === 'bare' ? pods.word : pods.name } };
  return state.pods.filter(
    (p) => namespaces.has(p.namespace) && !p.hostNetwork && selectorMatches(selector, p.labels),
  );
}

class Resolver {
  readonly notes: string[] = [];

  constructor(
    private readonly state: ClusterState | undefined,
    private readonly labelKeys: readonly string[],
  ) {}

  request(request: Request): Request {
    switch (request.verb) {
      case 'allow':
        return {
          ...request,
          from: request.from.map((p) => this.peer(p)),
          to: request.to.map((p) => this.peer(p)),
        };
      case 'deny': {
        const subject =
          request.subject.kind === 'namespace'
            ? (this.namespace(request.subject.namespace, request.subject.span), request.subject)
            : { kind: 'endpoint' as const, endpoint: this.endpoint(request.subject.endpoint, false) };
        return {
          ...request,
          subject,
          except: request.except.map((item) => ({ ...item, peer: this.peer(item.peer) })),
        };
      }
      case 'isolate':
        this.namespace(request.namespace, request.span);
        return request;
      case 'can':
        return { ...request, from: this.queryEndpoint(request.from), to: this.queryEndpoint(request.to) };
      case 'who-can-reach':
        return { ...request, target: this.endpoint(request.target, true) };
      case 'what-can-reach':
        return { ...request, source: this.endpoint(request.source, true) };
      case 'help':
        return request;
    }
  }

  private peer(peer: PeerRef): PeerRef {
    return peer.type === 'endpoint' ? this.endpoint(peer, false) : peer;
  }

  private queryEndpoint(endpoint: QueryEndpoint): QueryEndpoint {
    return endpoint.type === 'endpoint' ? this.endpoint(endpoint, true) : endpoint;
  }

  private namespace(name: string, span: Span): void {
    if (this.state === undefined) return;
    const names = this.state.namespaces.map((n) => n.name);
    if (names.includes(name)) return;
    const suggestion = closest(name, names);
    throw new NetpolError('E_UNKNOWN_NAMESPACE', `no namespace "${name}" in the cluster`, {
      column: span.start + 1,
      hint:
        suggestion === undefined
          ? `known namespaces: ${names.slice(0, 10).join(', ') || 'none'}`
          : `did you mean "${suggestion}"?`,
    });
  }

  /** `forQuery`: a bare word may also name one pod, which a query can ask about but a policy must not select by. */
  private endpoint(original: EndpointRef, forQuery: boolean): EndpointRef {
    const endpoint = withNameLabel(original);
    if (endpoint.namespace.kind === 'name') this.namespace(endpoint.namespace.name, endpoint.namespace.span);
    const pods = endpoint.pods;
    if (pods.kind === 'bare') return { ...endpoint, pods: this.bare(endpoint, pods, forQuery) };
    if (pods.kind === 'named' && !(forQuery && pods.objectKind === 'pod'))
      return { ...endpoint, pods: this.named(endpoint, pods) };
    return endpoint;
  }

  private namespacesOf(endpoint: EndpointRef): string[] {
    const state = this.state;
    if (state === undefined) return [];
    const ns = endpoint.namespace;
    // A named namespace was checked to exist already (namespace()).
    if (ns.kind === 'name') return [ns.name];
    return state.namespaces.filter((n) => namespaceRefMatches(ns, n)).map((n) => n.name);
  }

  private bare(endpoint: EndpointRef, pods: Extract<PodRef, { kind: 'bare' }>, forQuery: boolean): PodRef {
    const word = pods.word;
    const where = describeEndpointNamespace(endpoint);
    const state = this.state;
    if (state === undefined) {
      return this.selected(
        pods.span,
        { matchLabels: { app: word } },
        `${where} ${word} -> app=${word} (no cluster state: the default label key)`,
      );
    }
    const namespaces = this.namespacesOf(endpoint);
    const workloads = state.workloads.filter((w) => w.name === word && namespaces.includes(w.namespace));
    if (workloads.length > 0) {
      const order = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Job', 'ReplicaSet'];
      const workload = [...workloads].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind))[0];
      if (workload !== undefined) {
        const selector = identitySelector(workload.selector);
        return this.selected(
          pods.span,
          selector,
          `${where} ${word} -> ${formatSelector(selector)} (selector of ${workload.kind} ${workload.namespace}/${workload.name})`,
        );
      }
    }
    const service = state.services.find(
      (s) => s.name === word && namespaces.includes(s.namespace) && s.selector !== undefined,
    );
    if (service?.selector !== undefined) {
      const selector = identitySelector({ matchLabels: service.selector });
      return this.selected(
        pods.span,
        selector,
        `${where} ${word} -> ${formatSelector(selector)} (selector of Service ${service.namespace}/${service.name})`,
      );
    }
    if (forQuery) {
      const pod = state.pods.find((p) => p.name === word && namespaces.includes(p.namespace));
      if (pod !== undefined) {
        this.notes.push(`${where} ${word} -> the pod ${pod.namespace}/${pod.name}`);
        return { kind: 'named', objectKind: 'pod', name: word, span: pods.span };
      }
    }
    const nsPods = state.pods.filter((p) => namespaces.includes(p.namespace));
    for (const key of this.labelKeys) {
      const count = nsPods.filter((p) => ownValue(p.labels, key) === word).length;
      if (count > 0) {
        return this.selected(
          pods.span,
          { matchLabels: recordOf([[key, word]]) },
          `${where} ${word} -> ${key}=${word} (${count === 1 ? '1 pod carries' : `${count} pods carry`} that label)`,
        );
      }
    }
    return this.selected(
      pods.span,
      { matchLabels: { app: word } },
      `${where} ${word} -> app=${word} (no workload, Service or labelled pod is called "${word}")`,
    );
  }

  private named(endpoint: EndpointRef, pods: Extract<PodRef, { kind: 'named' }>): PodRef {
    const state = this.state;
    const label = `${pods.objectKind} "${pods.name}"`;
    if (state === undefined) {
      throw new NetpolError('E_UNKNOWN_ENDPOINT', `cannot resolve ${label} without the cluster state`, {
        column: pods.span.start + 1,
        hint: `give the cluster state, or write the pods as labels, e.g. app=${pods.name}`,
      });
    }
    const namespaces = this.namespacesOf(endpoint);
    const where = describeEndpointNamespace(endpoint);
    let selector: LabelSelector | undefined;
    let candidates: string[] = [];
    if (pods.objectKind === 'service') {
      const services = state.services.filter((s) => namespaces.includes(s.namespace));
      selector = services.find((s) => s.name === pods.name)?.selector;
      selector = selector === undefined ? undefined : { matchLabels: selector as Record<string, string> };
      candidates = services.map((s) => s.name);
    } else if (pods.objectKind === 'pod') {
      const nsPods = state.pods.filter((p) => namespaces.includes(p.namespace));
      const pod = nsPods.find((p) => p.name === pods.name);
      selector = pod === undefined ? undefined : { matchLabels: pod.labels };
      candidates = nsPods.map((p) => p.name);
    } else {
      const kind = {
        deployment: 'Deployment',
        statefulset: 'StatefulSet',
        daemonset: 'DaemonSet',
        replicaset: 'ReplicaSet',
        job: 'Job',
        cronjob: 'CronJob',
      }[pods.objectKind];
      const workloads = state.workloads.filter((w) => w.kind === kind && namespaces.includes(w.namespace));
      selector = workloads.find((w) => w.name === pods.name)?.selector;
      candidates = workloads.map((w) => w.name);
    }
    if (selector === undefined) {
      const suggestion = closest(pods.name, candidates);
      throw new NetpolError('E_UNKNOWN_ENDPOINT', `no ${label} in ${where}`, {
        column: pods.span.start + 1,
        hint:
          suggestion === undefined
            ? `write the pods as labels instead, e.g. app=${pods.name}`
            : `did you mean "${suggestion}"?`,
      });
    }
    const identity = identitySelector(selector);
    return this.selected(
      pods.span,
      identity,
      `${where} ${pods.objectKind}/${pods.name} -> ${formatSelector(identity)}`,
    );
  }

  private selected(span: Span, selector: LabelSelector, note: string): PodRef {
    this.notes.push(note);
    return { kind: 'selector', requirements: toRequirements(selector), span };
  }
}

/** In `ns(...)`, `namespace` is short for the immutable name label: `ns(namespace in (a,b))`. */
function withNameLabel(endpoint: EndpointRef): EndpointRef {
  const ns = endpoint.namespace;
  if (ns.kind !== 'selector' || !ns.requirements.some((r) => r.key === 'namespace')) return endpoint;
  const requirements = ns.requirements.map((r) =>
    r.key === 'namespace' ? { ...r, key: NAMESPACE_NAME_LABEL } : r,
  );
  return { ...endpoint, namespace: { ...ns, requirements } };
}

function identitySelector(selector: LabelSelector): LabelSelector {
  const matchLabels = recordOf(
    Object.entries(selector.matchLabels ?? {}).filter(([k]) => !VOLATILE_POD_LABELS.has(k)),
  );
  const out: LabelSelector = { matchLabels };
  const expressions = (selector.matchExpressions ?? []).filter((e) => !VOLATILE_POD_LABELS.has(e.key));
  if (expressions.length > 0) out.matchExpressions = expressions;
  return out;
}

function describeEndpointNamespace(endpoint: EndpointRef): string {
  const ns = endpoint.namespace;
  return ns.kind === 'name' ? ns.name : ns.kind === 'all' ? 'every namespace:' : 'the selected namespaces:';
}

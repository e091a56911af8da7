/**
 * Parses a cluster state file: what `kubectl get namespaces,pods,networkpolicies -A -o yaml` prints
 * (one `kind: List`), or several YAML/JSON documents. Namespaces, pods and NetworkPolicies feed the
 * evaluator; workloads and Services are read only so requests can name them. Every other kind is
 * skipped. Errors are NetpolError E_STATE naming the file, line and field. Pure: reading the file
 * from disk is src/adapters/files/state-file.ts's job.
 *
 * JSON (what `kubectl ... -o json` prints) goes through JSON.parse (json-source.ts, 70 times faster
 * than the YAML parser on a 1,000-pod file); anything else, and any JSON that path declines, through
 * the YAML parser, loaded only then.
 */
import type { Document } from 'yaml';
import { NetpolError } from '../errors';
import { yamlLibrary } from '../yaml-library';
import { looksLikeJson, readJsonSource } from './json-source';
import { ipProblem } from '../k8s/cidr';
import {
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  portNameProblem,
  portNumberProblem,
} from '../k8s/names';
import { isObj, Reader, type Obj } from '../k8s/object-reader';
import { copyRecord, emptyRecord, recordOf } from '../own-keys';
import { NAMESPACE_NAME_LABEL, PROTOCOLS, type Protocol } from '../k8s/types';
import { readNetworkPolicy } from '../k8s/read-network-policy';
import type {
  ClusterState,
  ContainerPortInfo,
  NamespaceInfo,
  PodInfo,
  ServiceInfo,
  ServicePortInfo,
  WorkloadInfo,
  WorkloadKind,
} from './cluster-state';

const WORKLOAD_KINDS: readonly WorkloadKind[] = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
];

/** One object of the file, with where it stands for error messages. */
interface Located {
  object: unknown;
  /** Its line: worked out only when a message names it (a JSON file is scanned for lines then). */
  line: () => number;
}

export function parseState(text: string, source = 'state'): ClusterState {
  const builder = new StateBuilder(source);
  for (const item of locateObjects(text, source)) builder.add(item);
  return builder.build();
}

/**
 * The same reading for objects that come from the API (the workers' cache): each needs its `kind`
 * (list items from the API lack it; set it from the list's kind). Invalid objects throw E_STATE.
 */
export function stateFromObjects(objects: readonly unknown[], source = 'api'): ClusterState {
  const builder = new StateBuilder(source);
  objects.forEach((object, i) => builder.add({ object, line: () => i + 1 }));
  return builder.build();
}

function locateObjects(text: string, source: string): Located[] {
  const json = looksLikeJson(text) ? readJsonSource(text) : undefined;
  if (json === undefined) return locateYamlObjects(text, source);
  const located: Located[] = [];
  const { value, line } = json;
  locateValue(value, { line, itemLine: (i) => json.itemLines()?.[i] ?? line }, source, located);
  return located;
}

function locateYamlObjects(text: string, source: string): Located[] {
  const { LineCounter, parseAllDocuments } = yamlLibrary();
  const lineCounter = new LineCounter();
  let documents: Document.Parsed[];
  try {
    documents = parseAllDocuments(text, {
      lineCounter,
      uniqueKeys: true,
      prettyErrors: false,
    }) as Document.Parsed[];
  } catch (error) {
    throw new NetpolError('E_STATE', `${source}: not YAML or JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!Array.isArray(documents)) throw new NetpolError('E_STATE', `${source}: not YAML or JSON`);
  const located: Located[] = [];
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? 1 : lineCounter.linePos(offset).line;
  for (const doc of documents) {
    const error = doc.errors[0];
    if (error !== undefined) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      const message = error.message.split('\n')[0] ?? error.message;
      throw new NetpolError('E_STATE', `${source}:${line}:${col}: invalid YAML: ${message}`);
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error_) {
      throw new NetpolError('E_STATE', `${source}: ${(error_ as Error).message}`, { cause: error_ });
    }
    if (value === null || value === undefined) continue;
    const itemLine = (i: number) => {
      const node = doc.getIn(['items', i], true) as { range?: [number, number, number] } | undefined;
      return lineOf(node?.range?.[0]);
    };
    locateValue(value, { line: lineOf(doc.contents?.range?.[0]), itemLine }, source, located);
  }
  return located;
}

/** One document's value: a List contributes its items, anything else itself. */
function locateValue(
  value: unknown,
  at: { line: number; itemLine: (i: number) => number },
  source: string,
  into: Located[],
): void {
  if (!isObj(value)) {
    throw new NetpolError(
      'E_STATE',
      `${source}:${at.line}: expected a Kubernetes object or a List, found ${describe(value)}`,
    );
  }
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && 'items' in value) {
    if (!Array.isArray(value.items)) {
      throw new NetpolError('E_STATE', `${source}:${at.line}: ${value.kind}.items must be a list`);
    }
    value.items.forEach((item, i) => into.push({ object: item, line: () => at.itemLine(i) }));
  } else {
    into.push({ object: value, line: () => at.line });
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? `the text "${value.slice(0, 40)}"` : `a ${typeof value}`;
}

class StateBuilder {
  private readonly namespaces = new Map<string, NamespaceInfo>();
  private readonly pods = new Map<string, PodInfo>();
  private readonly policies = new Map<string, ClusterState['policies'][number]>();
  private readonly workloads = new Map<string, WorkloadInfo>();
  private readonly services = new Map<string, ServiceInfo>();
  private readonly seenAt = new Map<string, () => number>();

  constructor(private readonly source: string) {}

  add({ object, line }: Located): void {
    const where = () => `${this.source}:${line()}`;
    if (!isObj(object))
      throw new NetpolError('E_STATE', `${where()}: expected a Kubernetes object, found ${describe(object)}`);
    const kind = object.kind;
    if (typeof kind !== 'string' || kind === '') {
      throw new NetpolError('E_STATE', `${where()}: object has no "kind"`, {
        hint: 'every object needs apiVersion, kind and metadata, as kubectl prints them',
      });
    }
    const metadata = isObj(object.metadata) ? object.metadata : {};
    const name = typeof metadata.name === 'string' ? metadata.name : '<unnamed>';
    const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
    const label = kind === 'Namespace' ? `Namespace ${name}` : `${kind} ${namespace}/${name}`;
    const fail = (problems: string[]): never => {
      throw new NetpolError('E_STATE', `${where()}: ${label} is invalid: ${problems.join('; ')}`);
    };
    const identity = `${kind}:${kind === 'Namespace' ? name : `${namespace}/${name}`}`;
    const earlier = this.seenAt.get(identity);
    if (
      earlier !== undefined &&
      ['Namespace', 'Pod', 'NetworkPolicy', 'Service', ...WORKLOAD_KINDS].includes(kind)
    ) {
      throw new NetpolError('E_STATE', `${where()}: ${label} appears twice (first at line ${earlier()})`);
    }
    this.seenAt.set(identity, line);
    const namespaceProblem = kind === 'Namespace' ? undefined : dns1123LabelProblem(namespace);
    if (namespaceProblem !== undefined && typeof metadata.namespace === 'string') {
      return fail([`metadata.namespace: "${namespace}" ${namespaceProblem}`]);
    }

    switch (kind) {
      case 'Namespace': {
        const r = new Reader();
        const ns = readNamespace(r, object);
        if (ns === undefined || r.problems.length > 0) return fail(r.problems);
        this.namespaces.set(ns.name, ns);
        return;
      }
      case 'Pod': {
        const r = new Reader();
        const pod = readPod(r, object, namespace);
        if (pod === undefined || r.problems.length > 0) return fail(r.problems);
        this.pods.set(`${pod.namespace}/${pod.name}`, pod);
        return;
      }
      case 'NetworkPolicy': {
        const withNamespace = { ...object, metadata: { ...metadata, namespace } };
        const { value, problems } = readNetworkPolicy(withNamespace);
        if (value === undefined) return fail(problems);
        this.policies.set(`${namespace}/${value.metadata.name}`, value);
        return;
      }
      case 'Service': {
        const r = new Reader();
        const service = readService(r, object, namespace);
        if (service === undefined || r.problems.length > 0) return fail(r.problems);
        this.services.set(`${namespace}/${service.name}`, service);
        return;
      }
      default:
        if ((WORKLOAD_KINDS as readonly string[]).includes(kind)) {
          const r = new Reader();
          const workload = readWorkload(r, object, kind as WorkloadKind, namespace);
          if (workload === undefined || r.problems.length > 0) return fail(r.problems);
          this.workloads.set(`${kind}/${namespace}/${workload.name}`, workload);
        }
      // Every other kind (Events, ConfigMaps, ...) is not needed to reason about traffic.
    }
  }

  build(): ClusterState {
    // `kubectl get pods -A` alone lists no Namespace objects, yet their pods' namespaces exist; the
    // API server labels every namespace with its name, so that much is known about them.
    const referenced = [
      ...this.pods.values(),
      ...this.policies.values(),
      ...this.services.values(),
      ...this.workloads.values(),
    ];
    for (const item of referenced) {
      const ns = 'metadata' in item ? item.metadata.namespace : item.namespace;
      if (!this.namespaces.has(ns))
        this.namespaces.set(ns, { name: ns, labels: recordOf([[NAMESPACE_NAME_LABEL, ns]]) });
    }
    // Each key made once, not twice per comparison.
    const byName = <T>(items: Iterable<T>, key: (item: T) => string) =>
      Array.from(items, (item) => ({ item, key: key(item) }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .map((keyed) => keyed.item);
    return {
      namespaces: byName(this.namespaces.values(), (n) => n.name),
      pods: byName(this.pods.values(), (p) => `${p.namespace}/${p.name}`),
      policies: byName(this.policies.values(), (p) => `${p.metadata.namespace}/${p.metadata.name}`),
      workloads: byName(this.workloads.values(), (w) => `${w.namespace}/${w.kind}/${w.name}`),
      services: byName(this.services.values(), (s) => `${s.namespace}/${s.name}`),
    };
  }
}

function readName(r: Reader, metadata: Obj, dnsLabel: boolean): string | undefined {
  const name = r.string(metadata.name, 'metadata.name');
  if (name === undefined) {
    r.problem('metadata.name', 'is required');
    return undefined;
  }
  const p = dnsLabel ? dns1123LabelProblem(name) : dns1123SubdomainProblem(name);
  if (p !== undefined) r.problem('metadata.name', `"${name}" ${p}`);
  return name;
}

function readNamespace(r: Reader, object: Obj): NamespaceInfo | undefined {
  const metadata = r.object(object.metadata, 'metadata') ?? {};
  const name = readName(r, metadata, true);
  const labels = r.labels(metadata.labels, 'metadata.labels') ?? emptyRecord();
  if (name === undefined) return undefined;
  return { name, labels: copyRecord(labels, [NAMESPACE_NAME_LABEL, name]) };
}

function readProtocol(r: Reader, value: unknown, at: string): Protocol {
  if (value === undefined || value === null) return 'TCP';
  if (!PROTOCOLS.includes(value as Protocol)) {
    r.problem(at, `must be TCP, UDP or SCTP (is ${JSON.stringify(value)})`);
    return 'TCP';
  }
  return value as Protocol;
}

function readPod(r: Reader, object: Obj, namespace: string): PodInfo | undefined {
  const metadata = r.object(object.metadata, 'metadata') ?? {};
  const name = readName(r, metadata, false);
  const labels = r.labels(metadata.labels, 'metadata.labels') ?? emptyRecord();
  const spec = r.object(object.spec, 'spec') ?? {};
  const status = r.object(object.status, 'status') ?? {};
  const ports: ContainerPortInfo[] = [];
  (r.array(spec.containers, 'spec.containers') ?? []).forEach((rawContainer, i) => {
    const container = r.object(rawContainer, `spec.containers[${i}]`) ?? {};
    (r.array(container.ports, `spec.containers[${i}].ports`) ?? []).forEach((rawPort, j) => {
      const at = `spec.containers[${i}].ports[${j}]`;
      const port = r.object(rawPort, at) ?? {};
      const number = port.containerPort;
      if (typeof number !== 'number' || portNumberProblem(number) !== undefined) {
        r.problem(`${at}.containerPort`, 'must be a whole number from 1 to 65535');
        return;
      }
      const info: ContainerPortInfo = {
        containerPort: number,
        protocol: readProtocol(r, port.protocol, `${at}.protocol`),
      };
      const portName = r.string(port.name, `${at}.name`);
      if (portName !== undefined) {
        const p = portNameProblem(portName);
        if (p !== undefined) r.problem(`${at}.name`, `"${portName}" ${p}`);
        info.name = portName;
      }
      ports.push(info);
    });
  });
  const hostNetwork = spec.hostNetwork === true;
  const ip = r.string(status.podIP, 'status.podIP');
  if (ip !== undefined && ip !== '') {
    const p = ipProblem(ip);
    if (p !== undefined) r.problem('status.podIP', `"${ip}" ${p}`);
  }
  if (name === undefined) return undefined;
  const pod: PodInfo = { namespace, name, labels, hostNetwork, ports };
  if (ip !== undefined && ip !== '') pod.ip = ip;
  return pod;
}

function readWorkload(
  r: Reader,
  object: Obj,
  kind: WorkloadKind,
  namespace: string,
): WorkloadInfo | undefined {
  const metadata = r.object(object.metadata, 'metadata') ?? {};
  const name = readName(r, metadata, false);
  const spec = r.object(object.spec, 'spec') ?? {};
  let selector;
  if (kind === 'CronJob') {
    const template = r.object(
      (r.object((r.object(spec.jobTemplate, 'spec.jobTemplate') ?? {}).spec, 'spec.jobTemplate.spec') ?? {})
        .template,
      'spec.jobTemplate.spec.template',
    );
    const labels = r.labels(
      (r.object(template?.metadata, 'spec.jobTemplate.spec.template.metadata') ?? {}).labels,
      'spec.jobTemplate.spec.template.metadata.labels',
    );
    selector = { matchLabels: labels ?? emptyRecord<string>() };
  } else {
    selector = r.selector(spec.selector, 'spec.selector') ?? {};
  }
  if (name === undefined) return undefined;
  return { kind, namespace, name, selector };
}

function readService(r: Reader, object: Obj, namespace: string): ServiceInfo | undefined {
  const metadata = r.object(object.metadata, 'metadata') ?? {};
  const name = readName(r, metadata, true);
  const spec = r.object(object.spec, 'spec') ?? {};
  const selector = r.labels(spec.selector, 'spec.selector');
  const ports: ServicePortInfo[] = [];
  (r.array(spec.ports, 'spec.ports') ?? []).forEach((raw, i) => {
    const at = `spec.ports[${i}]`;
    const port = r.object(raw, at) ?? {};
    if (typeof port.port !== 'number' || portNumberProblem(port.port) !== undefined) {
      r.problem(`${at}.port`, 'must be a whole number from 1 to 65535');
      return;
    }
    const target = port.targetPort;
    const targetPort = typeof target === 'number' || typeof target === 'string' ? target : port.port;
    const info: ServicePortInfo = {
      port: port.port,
      targetPort,
      protocol: readProtocol(r, port.protocol, `${at}.protocol`),
    };
    const portName = r.string(port.name, `${at}.name`);
    if (portName !== undefined) info.name = portName;
    ports.push(info);
  });
  if (name === undefined) return undefined;
  const service: ServiceInfo = { namespace, name, ports };
  if (selector !== undefined) service.selector = selector;
  return service;
}

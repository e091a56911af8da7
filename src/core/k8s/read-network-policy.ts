/**
 * Reads an untrusted NetworkPolicy (from a state file, the API, or our own builder) into the typed
 * shape, checking it as the API server would (names, label syntax, protocols, ports, CIDRs, peers).
 * Returns every problem at once, each with its field path, so a person can fix a file in one pass.
 */
import { cidrProblem, cidrContainsCidr } from './cidr';
import { dns1123LabelProblem, dns1123SubdomainProblem, portNameProblem, portNumberProblem } from './names';
import { Reader, type ReadResult } from './object-reader';
import {
  PROTOCOLS,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type PolicyType,
  type Protocol,
} from './types';

function readPort(r: Reader, value: unknown, at: string): NetworkPolicyPort | undefined {
  const obj = r.object(value, at);
  if (obj === undefined) return undefined;
  const port: NetworkPolicyPort = {};
  if (obj.protocol !== undefined && obj.protocol !== null) {
    if (!PROTOCOLS.includes(obj.protocol as Protocol)) {
      r.problem(`${at}.protocol`, `must be TCP, UDP or SCTP (is ${JSON.stringify(obj.protocol)})`);
    } else {
      port.protocol = obj.protocol as Protocol;
    }
  }
  if (typeof obj.port === 'number') {
    const p = portNumberProblem(obj.port);
    if (p !== undefined) r.problem(`${at}.port`, `${obj.port} ${p}`);
    port.port = obj.port;
  } else if (typeof obj.port === 'string') {
    // The API accepts an IntOrString: a string of digits is still a name to the schema, which then
    // fails the name rule; we read "80" as 80 for state files written by hand.
    if (/^[0-9]+$/.test(obj.port)) {
      const n = Number(obj.port);
      const p = portNumberProblem(n);
      if (p !== undefined) r.problem(`${at}.port`, `${obj.port} ${p}`);
      port.port = n;
    } else {
      const p = portNameProblem(obj.port);
      if (p !== undefined) r.problem(`${at}.port`, `"${obj.port}" ${p}`);
      port.port = obj.port;
    }
  } else if (obj.port !== undefined && obj.port !== null) {
    r.problem(`${at}.port`, 'must be a port number or a port name');
  }
  if (obj.endPort !== undefined && obj.endPort !== null) {
    if (typeof obj.endPort !== 'number' || portNumberProblem(obj.endPort) !== undefined) {
      r.problem(`${at}.endPort`, 'must be a whole number from 1 to 65535');
    } else if (typeof port.port !== 'number') {
      r.problem(`${at}.endPort`, 'may only be set together with a numeric port');
    } else if (obj.endPort < port.port) {
      r.problem(`${at}.endPort`, `${obj.endPort} must be greater than or equal to port ${port.port}`);
    } else {
      port.endPort = obj.endPort;
    }
  }
  return port;
}

function readPeer(r: Reader, value: unknown, at: string): NetworkPolicyPeer | undefined {
  const obj = r.object(value, at);
  if (obj === undefined) return undefined;
  const peer: NetworkPolicyPeer = {};
  const podSelector = r.selector(obj.podSelector, `${at}.podSelector`);
  const namespaceSelector = r.selector(obj.namespaceSelector, `${at}.namespaceSelector`);
  const ipBlock = r.object(obj.ipBlock, `${at}.ipBlock`);
  if (podSelector !== undefined) peer.podSelector = podSelector;
  if (namespaceSelector !== undefined) peer.namespaceSelector = namespaceSelector;
  if (ipBlock !== undefined) {
    const cidr = r.string(ipBlock.cidr, `${at}.ipBlock.cidr`);
    if (cidr === undefined) {
      r.problem(`${at}.ipBlock.cidr`, 'is required');
    } else {
      const p = cidrProblem(cidr);
      if (p !== undefined) r.problem(`${at}.ipBlock.cidr`, `"${cidr}" ${p}`);
      const except: string[] = [];
      (r.array(ipBlock.except, `${at}.ipBlock.except`) ?? []).forEach((raw, i) => {
        const e = r.string(raw, `${at}.ipBlock.except[${i}]`);
        if (e === undefined) return;
        const ep = cidrProblem(e);
        if (ep !== undefined) r.problem(`${at}.ipBlock.except[${i}]`, `"${e}" ${ep}`);
        else if (p === undefined && !cidrContainsCidr(cidr, e)) {
          r.problem(`${at}.ipBlock.except[${i}]`, `"${e}" must be inside cidr ${cidr}`);
        }
        except.push(e);
      });
      peer.ipBlock = except.length > 0 ? { cidr, except } : { cidr };
    }
    if (podSelector !== undefined || namespaceSelector !== undefined) {
      r.problem(at, 'may not combine ipBlock with podSelector or namespaceSelector');
    }
  } else if (podSelector === undefined && namespaceSelector === undefined) {
    r.problem(at, 'must specify podSelector, namespaceSelector or ipBlock');
  }
  return peer;
}

function readRules<R>(r: Reader, value: unknown, at: string, peersField: 'from' | 'to'): R[] | undefined {
  const rules = r.array(value, at);
  if (rules === undefined) return undefined;
  return rules.map((raw, i) => {
    const ruleAt = `${at}[${i}]`;
    const obj = r.object(raw, ruleAt) ?? {};
    const rule: Record<string, unknown> = {};
    const ports = r.array(obj.ports, `${ruleAt}.ports`);
    if (ports !== undefined) {
      rule.ports = ports
        .map((p, j) => readPort(r, p, `${ruleAt}.ports[${j}]`))
        .filter((p): p is NetworkPolicyPort => p !== undefined);
    }
    const peers = r.array(obj[peersField], `${ruleAt}.${peersField}`);
    if (peers !== undefined) {
      rule[peersField] = peers
        .map((p, j) => readPeer(r, p, `${ruleAt}.${peersField}[${j}]`))
        .filter((p): p is NetworkPolicyPeer => p !== undefined);
    }
    return rule as R;
  });
}

/** Reads a NetworkPolicy; `value` is set only when there are no problems. */
export function readNetworkPolicy(raw: unknown): ReadResult<NetworkPolicy> {
  const r = new Reader();
  const obj = r.object(raw, 'NetworkPolicy') ?? {};
  const metadata = r.object(obj.metadata, 'metadata') ?? {};
  const name = r.string(metadata.name, 'metadata.name');
  const namespace = r.string(metadata.namespace, 'metadata.namespace');
  if (name === undefined) r.problem('metadata.name', 'is required');
  else {
    const p = dns1123SubdomainProblem(name);
    if (p !== undefined) r.problem('metadata.name', `"${name}" ${p}`);
  }
  if (namespace === undefined) r.problem('metadata.namespace', 'is required');
  else {
    const p = dns1123LabelProblem(namespace);
    if (p !== undefined) r.problem('metadata.namespace', `"${namespace}" ${p}`);
  }
  const labels = r.labels(metadata.labels, 'metadata.labels');
  const annotations = r.stringMap(metadata.annotations, 'metadata.annotations');
  const resourceVersion = r.string(metadata.resourceVersion, 'metadata.resourceVersion');

  const spec = r.object(obj.spec, 'spec');
  if (spec === undefined) r.problem('spec', 'is required');
  const specObj = spec ?? {};
  const podSelector = r.selector(specObj.podSelector, 'spec.podSelector');
  if (spec !== undefined && podSelector === undefined)
    r.problem('spec.podSelector', 'is required (use {} for every pod)');

  let policyTypes: PolicyType[] | undefined;
  const rawTypes = r.array(specObj.policyTypes, 'spec.policyTypes');
  if (rawTypes !== undefined) {
    policyTypes = [];
    rawTypes.forEach((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress') {
        r.problem(`spec.policyTypes[${i}]`, `must be Ingress or Egress (is ${JSON.stringify(t)})`);
      } else if (policyTypes?.includes(t)) {
        r.problem(`spec.policyTypes[${i}]`, `${t} is listed twice`);
      } else {
        policyTypes?.push(t);
      }
    });
  }
  const ingress = readRules(r, specObj.ingress, 'spec.ingress', 'from');
  const egress = readRules(r, specObj.egress, 'spec.egress', 'to');

  if (r.problems.length > 0) return { problems: r.problems };
  const policy: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: name as string, namespace: namespace as string },
    spec: { podSelector: podSelector ?? {} },
  };
  if (labels !== undefined) policy.metadata.labels = labels;
  if (annotations !== undefined) policy.metadata.annotations = annotations;
  if (resourceVersion !== undefined) policy.metadata.resourceVersion = resourceVersion;
  if (policyTypes !== undefined) policy.spec.policyTypes = policyTypes;
  if (ingress !== undefined) policy.spec.ingress = ingress as NetworkPolicy['spec']['ingress'];
  if (egress !== undefined) policy.spec.egress = egress as NetworkPolicy['spec']['egress'];
  return { value: policy, problems: [] };
}

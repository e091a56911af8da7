/**
 * The API server's validation of the objects the stand-in stores, transcribed from apimachinery's
 * `util/validation` and `pkg/apis/networking/validation` so that the field paths, value formatting and
 * detail strings of a 422 match the real ones (`spec.ingress[0].ports[0].port: Invalid value: 70000:
 * must be between 1 and 65535, inclusive`). Runs on decoded, defaulted objects. Pure.
 *
 * Covered: ObjectMeta (name, generateName, namespace, labels, annotation keys), NetworkPolicy in full,
 * Namespace names. Pods are validated on their metadata only (PodSpec validation is not reproduced).
 */
import type { FieldError } from './status';

type Obj = Record<string, unknown>;

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;

const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);

/** validation.RegexError: `msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')`. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  const shown = examples.map((e, i) => `${i > 0 ? ' or ' : ''}'${e}', `).join('');
  return `${msg} (e.g. ${shown}regex used for validation is '${fmt}')`;
}

function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!DNS1123_LABEL_RE.test(value)) {
    if (DNS1123_SUBDOMAIN_RE.test(value)) {
      errs.push('must not contain dots');
    } else {
      errs.push(
        regexError(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
          DNS1123_LABEL_FMT,
          'my-name',
          '123-abc',
        ),
      );
    }
  }
  return errs;
}

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN_FMT,
        'example.com',
      ),
    );
  }
  return errs;
}

const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!QUALIFIED_NAME_RE.test(name)) {
    errs.push(
      `name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`,
    );
  }
  return errs;
}

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!LABEL_VALUE_RE.test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errs;
}

export function isValidPortNum(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) {
    errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  } else if (!/[a-z]/.test(port)) {
    errs.push('must contain at least one letter (a-z)');
  }
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) {
    errs.push('must not begin or end with a hyphen');
  }
  return errs;
}

interface ParsedCidr {
  bits: 32 | 128;
  /** The network address, masked. */
  network: bigint;
  prefix: number;
}

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // ParseCIDRSloppy accepts leading zeros (read as decimal), as Go's net did before 1.17.
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIPv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const group = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const left = group(halves[0] ?? '');
  const right = halves.length === 2 ? group(halves[1] ?? '') : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

export function parseCidr(text: string): ParsedCidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const v4 = addressText.includes(':') ? undefined : parseIPv4(addressText);
  const v6 = v4 === undefined && addressText.includes(':') ? parseIPv6(addressText) : undefined;
  const address = v4 ?? v6;
  if (address === undefined) return undefined;
  const bits = v4 !== undefined ? 32 : 128;
  if (prefix > bits) return undefined;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return { bits, network: address & mask, prefix };
}

function cidrContains(outer: ParsedCidr, inner: ParsedCidr): boolean {
  if (outer.bits !== inner.bits) return false;
  const shift = BigInt(outer.bits - outer.prefix);
  return inner.network >> shift === outer.network >> shift;
}

const CIDR_MSG = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

function invalidValue(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, value, detail };
}

function validateLabels(labels: unknown, field: string): FieldError[] {
  if (labels === undefined) return [];
  const errs: FieldError[] = [];
  for (const [key, value] of Object.entries(labels as Record<string, string>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  )) {
    for (const m of isQualifiedName(key)) errs.push(invalidValue(field, key, m));
    for (const m of isValidLabelValue(value)) errs.push(invalidValue(field, value, m));
  }
  return errs;
}

function validateLabelSelector(selector: unknown, field: string): FieldError[] {
  if (selector === undefined) return [];
  const s = selector as Obj;
  const errs = validateLabels(s.matchLabels, `${field}.matchLabels`);
  const expressions = (s.matchExpressions ?? []) as Obj[];
  expressions.forEach((expr, i) => {
    const path = `${field}.matchExpressions[${i}]`;
    const values = (expr.values ?? []) as string[];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          errs.push({
            type: 'FieldValueRequired',
            field: `${path}.values`,
            detail: "must be specified when `operator` is 'In' or 'NotIn'",
          });
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errs.push({
            type: 'FieldValueForbidden',
            field: `${path}.values`,
            detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          });
        }
        break;
      default:
        errs.push(invalidValue(`${path}.operator`, expr.operator ?? '', 'not a valid selector operator'));
    }
    const key = typeof expr.key === 'string' ? expr.key : '';
    for (const m of isQualifiedName(key)) errs.push(invalidValue(`${path}.key`, key, m));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(v)) errs.push(invalidValue(`${path}.values[${j}]`, v, m));
    });
  });
  return errs;
}

function validatePort(port: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const protocol = port.protocol;
  if (protocol !== undefined && protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') {
    errs.push({
      type: 'FieldValueNotSupported',
      field: `${path}.protocol`,
      value: protocol,
      detail: 'supported values: "TCP", "UDP", "SCTP"',
    });
  }
  const value = port.port;
  const endPort = port.endPort as number | undefined;
  if (typeof value === 'number') {
    for (const m of isValidPortNum(value)) errs.push(invalidValue(`${path}.port`, value, m));
    if (endPort !== undefined) {
      if (endPort < value)
        errs.push(invalidValue(`${path}.endPort`, value, 'must be greater than or equal to `port`'));
      for (const m of isValidPortNum(endPort)) errs.push(invalidValue(`${path}.endPort`, endPort, m));
    }
  } else if (typeof value === 'string') {
    if (endPort !== undefined) {
      errs.push(invalidValue(`${path}.endPort`, endPort, 'may not be specified when `port` is non-numeric'));
    }
    for (const m of isValidPortName(value)) errs.push(invalidValue(`${path}.port`, value, m));
  } else if (endPort !== undefined) {
    errs.push(invalidValue(`${path}.endPort`, endPort, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

function validateIPBlock(block: Obj, path: string): FieldError[] {
  const cidrText = typeof block.cidr === 'string' ? block.cidr : '';
  if (cidrText === '') return [{ type: 'FieldValueRequired', field: `${path}.cidr`, detail: '' }];
  const cidr = parseCidr(cidrText);
  if (cidr === undefined) return [invalidValue(`${path}.cidr`, cidrText, CIDR_MSG)];
  const errs: FieldError[] = [];
  ((block.except ?? []) as string[]).forEach((exceptText, i) => {
    const exceptPath = `${path}.except[${i}]`;
    const except = parseCidr(exceptText);
    if (except === undefined) {
      errs.push(invalidValue(exceptPath, exceptText, CIDR_MSG));
      return;
    }
    if (!cidrContains(cidr, except) || cidr.prefix >= except.prefix) {
      errs.push(invalidValue(exceptPath, exceptText, 'must be a strict subset of `cidr`'));
    }
  });
  return errs;
}

function validatePeer(peer: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  if (peer.podSelector !== undefined) {
    count++;
    errs.push(...validateLabelSelector(peer.podSelector, `${path}.podSelector`));
  }
  if (peer.namespaceSelector !== undefined) {
    count++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, `${path}.namespaceSelector`));
  }
  if (peer.ipBlock !== undefined) {
    count++;
    errs.push(...validateIPBlock(peer.ipBlock as Obj, `${path}.ipBlock`));
  }
  if (count === 0) errs.push({ type: 'FieldValueRequired', field: path, detail: 'must specify a peer' });
  else if (count > 1 && peer.ipBlock !== undefined) {
    errs.push({
      type: 'FieldValueForbidden',
      field: path,
      detail: 'may not specify both ipBlock and another peer',
    });
  }
  return errs;
}

export function validateNetworkPolicySpec(spec: Obj): FieldError[] {
  const errs = validateLabelSelector(spec.podSelector, 'spec.podSelector');
  ((spec.ingress ?? []) as Obj[]).forEach((rule, i) => {
    const path = `spec.ingress[${i}]`;
    ((rule.ports ?? []) as Obj[]).forEach((p, j) => errs.push(...validatePort(p, `${path}.ports[${j}]`)));
    ((rule.from ?? []) as Obj[]).forEach((p, j) => errs.push(...validatePeer(p, `${path}.from[${j}]`)));
  });
  ((spec.egress ?? []) as Obj[]).forEach((rule, i) => {
    const path = `spec.egress[${i}]`;
    ((rule.to ?? []) as Obj[]).forEach((p, j) => errs.push(...validatePeer(p, `${path}.to[${j}]`)));
    ((rule.ports ?? []) as Obj[]).forEach((p, j) => errs.push(...validatePort(p, `${path}.ports[${j}]`)));
  });
  const policyTypes = (spec.policyTypes ?? []) as string[];
  if (policyTypes.length > 2) {
    errs.push(invalidValue('spec.policyTypes', policyTypes, 'may not specify more than two policyTypes'));
    return errs;
  }
  policyTypes.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') {
      errs.push({
        type: 'FieldValueNotSupported',
        field: `spec.policyTypes[${i}]`,
        value: t,
        detail: 'supported values: "Ingress", "Egress"',
      });
    }
  });
  return errs;
}

export interface MetaRules {
  namespaced: boolean;
  /** The name rule: DNS-1123 subdomain for most kinds, DNS-1123 label for namespaces. */
  name: (value: string) => string[];
}

/** apimachinery's ValidateObjectMeta, in its order. */
export function validateObjectMeta(meta: Obj, rules: MetaRules): FieldError[] {
  const errs: FieldError[] = [];
  const name = typeof meta.name === 'string' ? meta.name : '';
  const generateName = typeof meta.generateName === 'string' ? meta.generateName : '';
  if (generateName !== '') {
    // A generateName prefix may end in "-": NameIsDNSSubdomain(prefix=true) strips one before checking.
    const prefix = generateName.length > 1 ? generateName.replace(/-$/, 'a') : generateName;
    for (const m of rules.name(prefix)) errs.push(invalidValue('metadata.generateName', generateName, m));
  }
  if (name === '') {
    errs.push({
      type: 'FieldValueRequired',
      field: 'metadata.name',
      detail: 'name or generateName is required',
    });
  } else {
    for (const m of rules.name(name)) errs.push(invalidValue('metadata.name', name, m));
  }
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
  if (rules.namespaced) {
    if (namespace === '') errs.push({ type: 'FieldValueRequired', field: 'metadata.namespace', detail: '' });
    else
      for (const m of isDNS1123Label(namespace)) errs.push(invalidValue('metadata.namespace', namespace, m));
  } else if (namespace !== '') {
    errs.push({
      type: 'FieldValueForbidden',
      field: 'metadata.namespace',
      detail: 'not allowed on this type',
    });
  }
  errs.push(...validateLabels(meta.labels, 'metadata.labels'));
  for (const key of Object.keys((meta.annotations ?? {}) as Obj).sort()) {
    for (const m of isQualifiedName(key.toLowerCase()))
      errs.push(invalidValue('metadata.annotations', key, m));
  }
  return errs;
}

/** Validation of a decoded, defaulted object of one of the three kinds. */
export function validateObject(kind: string, object: Obj): FieldError[] {
  const meta = (object.metadata ?? {}) as Obj;
  switch (kind) {
    case 'NetworkPolicy':
      return [
        ...validateObjectMeta(meta, { namespaced: true, name: isDNS1123Subdomain }),
        ...validateNetworkPolicySpec((object.spec ?? {}) as Obj),
      ];
    case 'Namespace':
      return validateObjectMeta(meta, { namespaced: false, name: isDNS1123Label });
    default:
      return validateObjectMeta(meta, { namespaced: true, name: isDNS1123Subdomain });
  }
}

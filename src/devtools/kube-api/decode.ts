/**
 * Decoding a request body into a stored object the way the API server's typed decoder does for the
 * built-in types: NetworkPolicy fields are rebuilt in Go struct order, unknown fields are dropped
 * (and reported, as the server's `Warning: unknown field` headers do), empty lists and maps are
 * dropped (Go's omitempty), a value of the wrong JSON type is a 400, and the API's defaults are applied (port protocol TCP, policyTypes, namespace finalizers).
 * Pods keep whatever spec and status they are given: only their metadata is typed here. Pure.
 */

type Json = unknown;

type Schema =
  | { t: 'string' }
  | { t: 'int32' }
  | { t: 'intOrString' }
  | { t: 'stringMap' }
  | { t: 'any' }
  | { t: 'array'; of: Schema; goType: string }
  | { t: 'object'; goType: string; fields: [string, Schema][] };

const str: Schema = { t: 'string' };
const strings: Schema = { t: 'array', of: str, goType: '[]string' };

const LABEL_SELECTOR: Schema = {
  t: 'object',
  goType: 'LabelSelector',
  fields: [
    ['matchLabels', { t: 'stringMap' }],
    [
      'matchExpressions',
      {
        t: 'array',
        goType: '[]v1.LabelSelectorRequirement',
        of: {
          t: 'object',
          goType: 'LabelSelectorRequirement',
          fields: [
            ['key', str],
            ['operator', str],
            ['values', strings],
          ],
        },
      },
    ],
  ],
};

const PORT: Schema = {
  t: 'object',
  goType: 'NetworkPolicyPort',
  fields: [
    ['protocol', str],
    ['port', { t: 'intOrString' }],
    ['endPort', { t: 'int32' }],
  ],
};

const PEER: Schema = {
  t: 'object',
  goType: 'NetworkPolicyPeer',
  fields: [
    ['podSelector', LABEL_SELECTOR],
    ['namespaceSelector', LABEL_SELECTOR],
    [
      'ipBlock',
      {
        t: 'object',
        goType: 'IPBlock',
        fields: [
          ['cidr', str],
          ['except', strings],
        ],
      },
    ],
  ],
};

const PORTS: Schema = { t: 'array', of: PORT, goType: '[]v1.NetworkPolicyPort' };
const PEERS: Schema = { t: 'array', of: PEER, goType: '[]v1.NetworkPolicyPeer' };

const NETWORK_POLICY_SPEC: Schema = {
  t: 'object',
  goType: 'NetworkPolicySpec',
  fields: [
    ['podSelector', LABEL_SELECTOR],
    [
      'ingress',
      {
        t: 'array',
        goType: '[]v1.NetworkPolicyIngressRule',
        of: {
          t: 'object',
          goType: 'NetworkPolicyIngressRule',
          fields: [
            ['ports', PORTS],
            ['from', PEERS],
          ],
        },
      },
    ],
    [
      'egress',
      {
        t: 'array',
        goType: '[]v1.NetworkPolicyEgressRule',
        of: {
          t: 'object',
          goType: 'NetworkPolicyEgressRule',
          fields: [
            ['ports', PORTS],
            ['to', PEERS],
          ],
        },
      },
    ],
    ['policyTypes', { t: 'array', of: str, goType: '[]v1.PolicyType' }],
  ],
};

const OBJECT_META: Schema = {
  t: 'object',
  goType: 'ObjectMeta',
  fields: [
    ['name', str],
    ['generateName', str],
    ['namespace', str],
    ['uid', str],
    ['resourceVersion', str],
    ['generation', { t: 'any' }],
    ['creationTimestamp', { t: 'any' }],
    ['deletionTimestamp', { t: 'any' }],
    ['labels', { t: 'stringMap' }],
    ['annotations', { t: 'stringMap' }],
    ['ownerReferences', { t: 'any' }],
    ['finalizers', strings],
    ['managedFields', { t: 'any' }],
  ],
};

const NAMESPACE_SPEC: Schema = { t: 'object', goType: 'NamespaceSpec', fields: [['finalizers', strings]] };

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

function jsonTypeName(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return `number`;
  return typeof value;
}

function isPlainObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface DecodeContext {
  /** The struct holding the field, for messages: `Go struct field NetworkPolicyPort.spec.ingress.ports.endPort`. */
  structName: string;
  path: string;
  unknown: string[];
  /** Where unknown fields are reported from (with indices, as the warnings print them). */
  warnPath: string;
}

const GO_TYPES: Record<string, string> = {
  string: 'string',
  int32: 'int32',
  intOrString: 'intstr.IntOrString',
  stringMap: 'map[string]string',
};

function mismatch(value: Json, schema: Schema, ctx: DecodeContext): DecodeError {
  const goType =
    schema.t === 'array'
      ? schema.goType
      : schema.t === 'object'
        ? `v1.${schema.goType}`
        : (GO_TYPES[schema.t] ?? '');
  const shown = typeof value === 'number' ? `number ${value}` : jsonTypeName(value);
  return new DecodeError(
    `json: cannot unmarshal ${shown} into Go struct field ${ctx.structName}${ctx.path} of type ${goType}`,
  );
}

/** Decode one value against its schema; `null` decodes as absent, as Go's json does. */
function decodeValue(value: Json, schema: Schema, ctx: DecodeContext): Json {
  if (value === null || value === undefined) return undefined;
  switch (schema.t) {
    case 'any':
      return value;
    case 'string':
      if (typeof value !== 'string') throw mismatch(value, schema, ctx);
      return value;
    case 'int32':
      if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > 2 ** 31 - 1) {
        throw mismatch(value, schema, ctx);
      }
      return value;
    case 'intOrString':
      if (typeof value === 'string') return value;
      if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > 2 ** 31 - 1) {
        throw mismatch(value, schema, ctx);
      }
      return value;
    case 'stringMap': {
      if (!isPlainObject(value)) throw mismatch(value, schema, ctx);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(value)) {
        if (v === null) continue;
        if (typeof v !== 'string') throw mismatch(v, str, { ...ctx, path: ctx.path });
        out[k] = v;
      }
      return out;
    }
    case 'array': {
      if (!Array.isArray(value)) throw mismatch(value, schema, ctx);
      return value.map((item, i) =>
        decodeValue(item, schema.of, { ...ctx, warnPath: `${ctx.warnPath}[${i}]` }),
      );
    }
    case 'object': {
      if (!isPlainObject(value)) throw mismatch(value, schema, ctx);
      const out: Record<string, Json> = {};
      const known = new Set(schema.fields.map(([name]) => name));
      for (const [name, fieldSchema] of schema.fields) {
        if (!(name in value)) continue;
        const decoded = decodeValue(value[name], fieldSchema, {
          structName: schema.goType,
          path: `${ctx.path}.${name}`,
          unknown: ctx.unknown,
          warnPath: `${ctx.warnPath}.${name}`,
        });
        // Go's `omitempty`: an empty list or map is not stored (`ingress: []` reads back absent).
        if (Array.isArray(decoded) && decoded.length === 0) continue;
        if (fieldSchema.t === 'stringMap' && Object.keys(decoded as object).length === 0) continue;
        if (decoded !== undefined) out[name] = decoded;
      }
      for (const name of Object.keys(value)) {
        if (!known.has(name)) ctx.unknown.push(`${ctx.warnPath}.${name}`.replace(/^\./, ''));
      }
      return out;
    }
  }
}

function decodeField(value: Json, schema: Schema, structName: string, path: string, unknown: string[]): Json {
  return decodeValue(value, schema, { structName, path, unknown, warnPath: path });
}

export interface Decoded {
  object: Record<string, Json>;
  /** Dropped fields, e.g. `spec.ingress[0].form`, for `Warning: unknown field` headers. */
  unknownFields: string[];
}

export type DecodableKind = 'Namespace' | 'Pod' | 'NetworkPolicy';

/**
 * Decode a body for `kind` served at `apiVersion`. Throws DecodeError (a 400 at the edge) when a field
 * has the wrong JSON type. Defaults are applied; server-owned metadata is left for the store to set.
 */
export function decodeObject(kind: DecodableKind, apiVersion: string, body: Json): Decoded {
  if (!isPlainObject(body)) throw new DecodeError(`Object '${kind}' is missing in '${JSON.stringify(body)}'`);
  const unknown: string[] = [];
  const prefix = (message: string): DecodeError =>
    new DecodeError(`${kind} in version "v1" cannot be handled as a ${kind}: ${message}`);
  try {
    const metadata = (decodeField(body.metadata ?? {}, OBJECT_META, kind, '.metadata', unknown) ??
      {}) as Record<string, Json>;
    const object: Record<string, Json> = { kind, apiVersion, metadata };
    if (kind === 'NetworkPolicy') {
      const spec = (decodeField(body.spec ?? {}, NETWORK_POLICY_SPEC, kind, '.spec', unknown) ??
        {}) as Record<string, Json>;
      object.spec = defaultNetworkPolicySpec(spec);
      for (const name of Object.keys(body)) {
        if (!['kind', 'apiVersion', 'metadata', 'spec'].includes(name)) unknown.push(name);
      }
    } else if (kind === 'Namespace') {
      const spec = (decodeField(body.spec ?? {}, NAMESPACE_SPEC, kind, '.spec', unknown) ?? {}) as Record<
        string,
        Json
      >;
      if (spec.finalizers === undefined) spec.finalizers = ['kubernetes'];
      object.spec = spec;
      const status = isPlainObject(body.status) ? body.status : {};
      object.status = { ...status, phase: typeof status.phase === 'string' ? status.phase : 'Active' };
    } else {
      if (body.spec !== undefined && !isPlainObject(body.spec)) {
        throw mismatch(
          body.spec,
          { t: 'object', goType: 'PodSpec', fields: [] },
          {
            structName: kind,
            path: '.spec',
            unknown,
            warnPath: 'spec',
          },
        );
      }
      object.spec = body.spec ?? {};
      if (body.status !== undefined) object.status = body.status;
    }
    return { object, unknownFields: unknown.map((f) => f.replace(/^\./, '')) };
  } catch (error) {
    if (error instanceof DecodeError) throw prefix(error.message);
    throw error;
  }
}

/** SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort (networking/v1 defaults.go). */
export function defaultNetworkPolicySpec(spec: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = { podSelector: spec.podSelector ?? {} };
  const defaultPorts = (rules: Json): Json =>
    Array.isArray(rules)
      ? rules.map((rule: Record<string, Json>) => {
          if (!Array.isArray(rule.ports)) return rule;
          const ports = rule.ports.map((p: Record<string, Json>) => {
            const { protocol, ...rest } = p;
            return { protocol: protocol ?? 'TCP', ...rest };
          });
          return { ...rule, ports };
        })
      : rules;
  if (spec.ingress !== undefined) out.ingress = defaultPorts(spec.ingress);
  if (spec.egress !== undefined) out.egress = defaultPorts(spec.egress);
  const policyTypes = spec.policyTypes;
  if (Array.isArray(policyTypes) && policyTypes.length > 0) {
    out.policyTypes = policyTypes;
  } else {
    const hasEgress = Array.isArray(spec.egress) && spec.egress.length > 0;
    out.policyTypes = hasEgress ? ['Ingress', 'Egress'] : ['Ingress'];
  }
  return out;
}

/**
 * The API semantics of the stand-in, apart from HTTP: what create, update, patch, server-side apply,
 * delete, get and list do to the store, in the real server's order (decode and default, namespace
 * admission, validation, preconditions, storage) and with its answers (the object, or a Status). The
 * HTTP layer in server.ts only parses requests into these calls. Single-threaded; the clock and the
 * uid source are injected so tests can pin them.
 */
import { randomUUID } from 'node:crypto';
import { DecodeError, decodeObject, type DecodableKind } from './decode';
import { applyFields, deepEqual, updateFields, type ManagedFieldsEntry } from './fields';
import { apiVersionOf, groupKindOf, groupResourceOf, RESOURCES, type ResourceInfo } from './resources';
import type { ObjectStore } from './store';
import { jsonPatch, JsonPatchError, mergePatch } from './patch';
import {
  alreadyExists,
  applyConflict,
  badRequest,
  conflict,
  internalError,
  invalid,
  notFound,
  type FieldError,
  type Status,
} from './status';
import { validateObject } from './validation';
import { NAMESPACE_NAME_LABEL } from '../../core/k8s/types';

type Obj = Record<string, unknown>;

export interface ApiResult {
  code: number;
  body: object;
  /** `Warning` headers (`299 - "unknown field \"spec.foo\""`). */
  warnings?: string[];
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun: boolean;
  /** The fieldManager query parameter, or the manager derived from the User-Agent. */
  manager: string;
  /** What unknown fields get: a 400 (Strict), a Warning header (Warn, the default) or nothing. */
  fieldValidation?: FieldValidation;
}

export type PatchType = 'apply' | 'merge' | 'strategic' | 'json';

export interface RegistryDeps {
  store: ObjectStore;
  clock?: () => Date;
  newUid?: () => string;
}

function fail(status: Status): ApiResult {
  return { code: status.code, body: status };
}

function metaOf(object: Obj): Obj {
  if (typeof object.metadata !== 'object' || object.metadata === null) object.metadata = {};
  return object.metadata as Obj;
}

function warningsFor(unknownFields: string[]): string[] | undefined {
  if (unknownFields.length === 0) return undefined;
  return unknownFields.map((f) => `299 - ${JSON.stringify(`unknown field "${f}"`)}`);
}

/** Metadata in the order the real server serialises it (Go struct field order). */
const METADATA_ORDER = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

function orderMetadata(meta: Obj): Obj {
  const out: Obj = {};
  for (const k of METADATA_ORDER) if (meta[k] !== undefined) out[k] = meta[k];
  for (const [k, v] of Object.entries(meta)) if (!(k in out) && v !== undefined) out[k] = v;
  return out;
}

/** Typed lists leave kind and apiVersion out of their items, as the real server does. */
export function asListItem(object: Obj): Obj {
  const item = { ...object };
  delete item.kind;
  delete item.apiVersion;
  return item;
}

const GENERATED_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export class Registry {
  private readonly store: ObjectStore;
  private readonly clock: () => Date;
  private readonly newUid: () => string;

  constructor(deps: RegistryDeps) {
    this.store = deps.store;
    this.clock = deps.clock ?? (() => new Date());
    this.newUid = deps.newUid ?? randomUUID;
  }

  /** RFC 3339 at second precision, as metav1.Time serialises. */
  private now(): string {
    return this.clock()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }

  get(info: ResourceInfo, namespace: string | undefined, name: string): ApiResult {
    const found = this.store.get(info.resource, namespace, name);
    if (found === undefined) return fail(notFound(groupResourceOf(info), name));
    return { code: 200, body: found };
  }

  namespaceExists(namespace: string): boolean {
    return this.store.get('namespaces', undefined, namespace) !== undefined;
  }

  /** Decode a body as `info`'s kind; a DecodeError becomes the 400 the real decoder gives. */
  private decode(
    info: ResourceInfo,
    body: unknown,
    validation: FieldValidation = 'Warn',
  ): { object: Obj; warnings?: string[] } | ApiResult {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return fail(badRequest(`Object '${info.kind}' is missing in '${JSON.stringify(body)}'`));
    }
    const raw = body as Obj;
    if (raw.apiVersion !== undefined && raw.apiVersion !== apiVersionOf(info)) {
      return fail(
        badRequest(
          `the API version in the data (${String(raw.apiVersion)}) does not match the expected API version (${apiVersionOf(info)})`,
        ),
      );
    }
    if (raw.kind !== undefined && raw.kind !== info.kind) {
      return fail(
        badRequest(
          `the kind in the data (${String(raw.kind)}) does not match the expected kind (${info.kind})`,
        ),
      );
    }
    try {
      const decoded = decodeObject(info.kind as DecodableKind, apiVersionOf(info), raw);
      const unknown = decoded.unknownFields;
      if (validation === 'Strict' && unknown.length > 0) {
        const fields = unknown.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ');
        return fail(
          badRequest(
            `${info.kind} in version "v1" cannot be handled as a ${info.kind}: strict decoding error: ${fields}`,
          ),
        );
      }
      return { object: decoded.object, warnings: validation === 'Ignore' ? undefined : warningsFor(unknown) };
    } catch (error) {
      if (error instanceof DecodeError) return fail(badRequest(error.message));
      throw error;
    }
  }

  /** The URL namespace wins when the body has none; a different one is a 400. */
  private checkNamespace(
    info: ResourceInfo,
    object: Obj,
    namespace: string | undefined,
  ): ApiResult | undefined {
    const meta = metaOf(object);
    if (!info.namespaced) return undefined;
    if (meta.namespace === undefined || meta.namespace === '') meta.namespace = namespace;
    else if (meta.namespace !== namespace) {
      return fail(
        badRequest('the namespace of the provided object does not match the namespace sent on the request'),
      );
    }
    if (namespace !== undefined && !this.namespaceExists(namespace)) {
      return fail(notFound({ group: '', resource: 'namespaces' }, namespace));
    }
    return undefined;
  }

  /** What the API server itself sets: the namespace name label, NetworkPolicy generation. */
  private finish(info: ResourceInfo, object: Obj, previous: Obj | undefined): Obj {
    const meta = metaOf(object);
    if (info.resource === 'namespaces') {
      meta.labels = { ...((meta.labels ?? {}) as Obj), [NAMESPACE_NAME_LABEL]: meta.name };
    }
    if (previous === undefined) {
      meta.uid = this.newUid();
      meta.creationTimestamp = this.now();
      if (info.resource === 'networkpolicies') meta.generation = 1;
      else delete meta.generation;
    } else {
      const prev = metaOf(previous);
      meta.uid = prev.uid;
      meta.creationTimestamp = prev.creationTimestamp;
      if (info.resource === 'networkpolicies') {
        const generation = typeof prev.generation === 'number' ? prev.generation : 1;
        meta.generation = deepEqual(object.spec, previous.spec) ? generation : generation + 1;
      } else delete meta.generation;
    }
    delete meta.deletionTimestamp;
    object.metadata = orderMetadata(meta);
    return object;
  }

  private validate(info: ResourceInfo, object: Obj): ApiResult | undefined {
    const errors: FieldError[] = validateObject(info.kind, object);
    if (errors.length === 0) return undefined;
    const name = String(metaOf(object).name ?? '');
    return fail(invalid(groupKindOf(info), name, errors));
  }

  /** Everything but resourceVersion and managedFields equal: the write is skipped, as etcd3's store does. */
  private unchanged(a: Obj, b: Obj): boolean {
    const strip = (o: Obj): Obj => {
      const copy = structuredClone(o);
      const meta = metaOf(copy);
      delete meta.resourceVersion;
      delete meta.managedFields;
      return copy;
    };
    return deepEqual(strip(a), strip(b));
  }

  private write(info: ResourceInfo, object: Obj, options: WriteOptions): Obj {
    if (options.dryRun) return object;
    return this.store.put(info.resource, object);
  }

  create(info: ResourceInfo, namespace: string | undefined, body: unknown, options: WriteOptions): ApiResult {
    const decoded = this.decode(info, body, options.fieldValidation);
    if ('code' in decoded) return decoded;
    const object = decoded.object;
    const refused = this.checkNamespace(info, object, namespace);
    if (refused !== undefined) return refused;
    const meta = metaOf(object);
    if ((meta.name === undefined || meta.name === '') && typeof meta.generateName === 'string') {
      const suffix = Array.from({ length: 5 }, () =>
        GENERATED_NAME_ALPHABET.charAt(Math.floor(Math.random() * GENERATED_NAME_ALPHABET.length)),
      ).join('');
      meta.name = `${meta.generateName.slice(0, 58)}${suffix}`;
    }
    if (typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '') {
      return fail(internalError('resourceVersion should not be set on objects to be created'));
    }
    this.finish(info, object, undefined);
    const invalidResult = this.validate(info, object);
    if (invalidResult !== undefined) return invalidResult;
    const name = String(metaOf(object).name);
    if (this.store.get(info.resource, metaOf(object).namespace as string | undefined, name) !== undefined) {
      return fail(alreadyExists(groupResourceOf(info), name));
    }
    metaOf(object).managedFields = updateFields({
      live: undefined,
      updated: object,
      manager: options.manager,
      apiVersion: apiVersionOf(info),
      now: this.now(),
    });
    object.metadata = orderMetadata(metaOf(object));
    return { code: 201, body: this.write(info, object, options), warnings: decoded.warnings };
  }

  update(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions,
  ): ApiResult {
    const decoded = this.decode(info, body, options.fieldValidation);
    if ('code' in decoded) return decoded;
    return this.replace(info, namespace, name, decoded.object, options, decoded.warnings);
  }

  /** PUT semantics on a decoded object: name check, existence, resourceVersion precondition, validation. */
  private replace(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    object: Obj,
    options: WriteOptions,
    warnings: string[] | undefined,
  ): ApiResult {
    const meta = metaOf(object);
    if (meta.name === undefined || meta.name === '') meta.name = name;
    if (meta.name !== name) {
      return fail(
        badRequest(
          `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`,
        ),
      );
    }
    const refused = this.checkNamespace(info, object, namespace);
    if (refused !== undefined) return refused;
    const existing = this.store.get(info.resource, namespace, name);
    if (existing === undefined) return fail(notFound(groupResourceOf(info), name));
    const wanted = meta.resourceVersion;
    if (typeof wanted === 'string' && wanted !== '' && wanted !== metaOf(existing).resourceVersion) {
      return fail(conflict(groupResourceOf(info), name));
    }
    meta.managedFields = metaOf(existing).managedFields;
    this.finish(info, object, existing);
    const invalidResult = this.validate(info, object);
    if (invalidResult !== undefined) return invalidResult;
    if (this.unchanged(object, existing)) return { code: 200, body: existing, warnings };
    metaOf(object).managedFields = updateFields({
      live: existing,
      updated: object,
      manager: options.manager,
      apiVersion: apiVersionOf(info),
      now: this.now(),
    });
    object.metadata = orderMetadata(metaOf(object));
    return { code: 200, body: this.write(info, object, options), warnings };
  }

  patch(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    type: Exclude<PatchType, 'apply'>,
    patch: unknown,
    options: WriteOptions,
  ): ApiResult {
    const existing = this.store.get(info.resource, namespace, name);
    if (existing === undefined) return fail(notFound(groupResourceOf(info), name));
    let patched: unknown;
    try {
      patched = type === 'json' ? jsonPatch(existing, patch) : mergePatch(existing, patch);
    } catch (error) {
      if (error instanceof JsonPatchError) return fail(internalError(error.message));
      throw error;
    }
    const decoded = this.decode(info, patched, options.fieldValidation);
    if ('code' in decoded) return decoded;
    return this.replace(info, namespace, name, decoded.object, options, decoded.warnings);
  }

  apply(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    config: unknown,
    options: WriteOptions & { force: boolean },
  ): ApiResult {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      return fail(badRequest(`error decoding patch: expected an object, got ${JSON.stringify(config)}`));
    }
    const raw = config as Obj;
    if (raw.kind === undefined || raw.kind === '')
      return fail(badRequest(`Object 'Kind' is missing in '${JSON.stringify(raw)}'`));
    if (raw.apiVersion === undefined || raw.apiVersion === '') {
      return fail(badRequest(`Object 'apiVersion' is missing in '${JSON.stringify(raw)}'`));
    }
    const decodedDefaulted = this.decode(info, raw, options.fieldValidation);
    if ('code' in decodedDefaulted) return decodedDefaulted;
    const applied = this.appliedFieldsOnly(raw, decodedDefaulted.object);
    const appliedMeta = metaOf(applied);
    if (appliedMeta.name !== undefined && appliedMeta.name !== name) {
      return fail(
        badRequest(
          `the name of the object (${String(appliedMeta.name)}) does not match the name on the URL (${name})`,
        ),
      );
    }
    const refused = this.checkNamespace(info, decodedDefaulted.object, namespace);
    if (refused !== undefined) return refused;
    const existing = this.store.get(info.resource, namespace, name);
    const wanted = appliedMeta.resourceVersion;
    if (typeof wanted === 'string' && wanted !== '') {
      if (existing === undefined) return fail(notFound(groupResourceOf(info), name));
      if (wanted !== metaOf(existing).resourceVersion) return fail(conflict(groupResourceOf(info), name));
    }
    const merged = applyFields({
      live: existing,
      applied,
      appliedDefaulted: decodedDefaulted.object,
      manager: options.manager,
      apiVersion: apiVersionOf(info),
      force: options.force,
      now: this.now(),
    });
    if (!merged.ok) {
      return fail(
        applyConflict(
          merged.conflicts.map((c) => ({
            manager: c.entry.manager,
            operation: c.entry.operation,
            apiVersion: c.entry.apiVersion,
            time: c.entry.operation === 'Update' ? c.entry.time : undefined,
            path: c.path.map((p) => `.${p}`).join(''),
          })),
        ),
      );
    }
    const object = merged.object;
    object.apiVersion = apiVersionOf(info);
    object.kind = info.kind;
    const meta = metaOf(object);
    meta.name = name;
    if (info.namespaced) meta.namespace = namespace;
    // Re-decode the merged object so the API's defaults fill what the appliers left out.
    const redecoded = this.decode(info, object);
    if ('code' in redecoded) return redecoded;
    const result = redecoded.object;
    const managedFields: ManagedFieldsEntry[] = merged.managedFields;
    metaOf(result).managedFields = managedFields;
    this.finish(info, result, existing);
    const invalidResult = this.validate(info, result);
    if (invalidResult !== undefined) return invalidResult;
    if (existing !== undefined && this.unchanged(result, existing) && this.sameOwnership(result, existing)) {
      return { code: 200, body: existing, warnings: decodedDefaulted.warnings };
    }
    return {
      code: existing === undefined ? 201 : 200,
      body: this.write(info, result, options),
      warnings: decodedDefaulted.warnings,
    };
  }

  /** Ownership compared without timestamps: a repeated apply leaves the object and its version alone. */
  private sameOwnership(a: Obj, b: Obj): boolean {
    const shape = (o: Obj): unknown =>
      ((metaOf(o).managedFields ?? []) as ManagedFieldsEntry[]).map((e) => ({ ...e, time: undefined }));
    return deepEqual(shape(a), shape(b));
  }

  /**
   * The applied configuration restricted to the fields the applier named (the decoded form, so dropped
   * unknown fields are not owned), without the API's defaults.
   */
  private appliedFieldsOnly(raw: Obj, decoded: Obj): Obj {
    const out: Obj = { apiVersion: decoded.apiVersion, kind: decoded.kind };
    const rawMeta = (raw.metadata ?? {}) as Obj;
    const decodedMeta = metaOf(decoded);
    out.metadata = Object.fromEntries(
      Object.keys(rawMeta)
        .map((k) => [k, decodedMeta[k]])
        .filter(([, v]) => v !== undefined),
    );
    for (const section of Object.keys(raw)) {
      if (section === 'apiVersion' || section === 'kind' || section === 'metadata') continue;
      const rawSection = raw[section];
      const decodedSection = decoded[section];
      if (
        typeof rawSection === 'object' &&
        rawSection !== null &&
        typeof decodedSection === 'object' &&
        decodedSection !== null
      ) {
        out[section] = Object.fromEntries(
          Object.keys(rawSection as Obj)
            .map((k) => [k, (decodedSection as Obj)[k]])
            .filter(([, v]) => v !== undefined),
        );
      }
    }
    return out;
  }

  delete(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: { dryRun: boolean },
  ): ApiResult {
    const existing = this.store.get(info.resource, namespace, name);
    if (existing === undefined) return fail(notFound(groupResourceOf(info), name));
    const preconditions = ((body ?? {}) as Obj).preconditions as Obj | undefined;
    const meta = metaOf(existing);
    if (
      preconditions?.resourceVersion !== undefined &&
      preconditions.resourceVersion !== meta.resourceVersion
    ) {
      return fail(
        conflict(
          groupResourceOf(info),
          name,
          `the ResourceVersion in the precondition (${String(preconditions.resourceVersion)}) does not match the ResourceVersion in record (${String(meta.resourceVersion)}). The object might have been modified`,
        ),
      );
    }
    if (preconditions?.uid !== undefined && preconditions.uid !== meta.uid) {
      return fail(
        conflict(
          groupResourceOf(info),
          name,
          `the UID in the precondition (${String(preconditions.uid)}) does not match the UID in record (${String(meta.uid)}). The object might have been deleted and then recreated`,
        ),
      );
    }
    if (info.resource === 'namespaces') {
      // The real namespace controller empties a Terminating namespace asynchronously; here it is immediate.
      if (!options.dryRun) {
        for (const r of [RESOURCES.networkpolicies, RESOURCES.pods]) {
          for (const o of this.store.list(r.resource, name))
            this.store.remove(r.resource, name, String(metaOf(o).name));
        }
      }
      const last = options.dryRun
        ? existing
        : (this.store.remove(info.resource, namespace, name) ?? existing);
      metaOf(last).deletionTimestamp = this.now();
      last.status = { ...((last.status ?? {}) as Obj), phase: 'Terminating' };
      last.metadata = orderMetadata(metaOf(last));
      return { code: 200, body: last };
    }
    const last = options.dryRun ? existing : (this.store.remove(info.resource, namespace, name) ?? existing);
    if (info.resource === 'pods') return { code: 200, body: last };
    const details: Obj = { name };
    if (info.group !== '') details.group = info.group;
    details.kind = info.resource;
    details.uid = meta.uid;
    return {
      code: 200,
      body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details },
    };
  }

  /** Objects of a resource, filtered, with the list's resourceVersion. */
  list(info: ResourceInfo, namespace: string | undefined, filter: (o: Obj) => boolean): ApiResult {
    const items = this.store.list(info.resource, namespace).filter(filter);
    return {
      code: 200,
      body: {
        kind: info.listKind,
        apiVersion: apiVersionOf(info),
        metadata: { resourceVersion: this.store.resourceVersion() },
        items: items.map(asListItem),
      },
    };
  }
}

/**
 * The `kind: Status` objects the Kubernetes API server answers with, built the way apimachinery's
 * `k8s.io/apimachinery/pkg/api/errors` builds them (same messages, reasons, details and codes), so
 * client-node's ApiException and kubectl print what they print against a real cluster. Pure.
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** Which resource an error is about: `networkpolicies` in `networking.k8s.io`, or `namespaces` in core. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** `networkpolicies.networking.k8s.io`, or `namespaces` for the core group (schema.GroupResource.String). */
export function groupResourceString(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): Status {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details !== undefined) status.details = details;
  return status;
}

/** Go's `omitempty`: an empty group is left out of details. */
function resourceDetails(gr: GroupResource, name: string | undefined): StatusDetails {
  const details: StatusDetails = {};
  if (name !== undefined && name !== '') details.name = name;
  if (gr.group !== '') details.group = gr.group;
  details.kind = gr.resource;
  return details;
}

export function notFound(gr: GroupResource, name: string): Status {
  return failure(
    404,
    'NotFound',
    `${groupResourceString(gr)} "${name}" not found`,
    resourceDetails(gr, name),
  );
}

export function alreadyExists(gr: GroupResource, name: string): Status {
  return failure(
    409,
    'AlreadyExists',
    `${groupResourceString(gr)} "${name}" already exists`,
    resourceDetails(gr, name),
  );
}

/** The optimistic-concurrency conflict (`errors.NewConflict` with storage's OptimisticLockErrorMsg). */
export function conflict(gr: GroupResource, name: string, why?: string): Status {
  const reason =
    why ?? 'the object has been modified; please apply your changes to the latest version and try again';
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${groupResourceString(gr)} "${name}": ${reason}`,
    resourceDetails(gr, name),
  );
}

export function badRequest(message: string): Status {
  return failure(400, 'BadRequest', message);
}

export function unauthorized(): Status {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

export interface ForbiddenOptions {
  user: string;
  verb: string;
  gr: GroupResource;
  name?: string;
  namespace?: string;
}

/** RBAC's denial, as the authorizer phrases it (`errors.NewForbidden` + the RBAC reason). */
export function forbidden(options: ForbiddenOptions, reasonOverride?: string): Status {
  const { user, verb, gr, name, namespace } = options;
  const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  const reason =
    reasonOverride ??
    `User "${user}" cannot ${verb} resource "${gr.resource}" in API group "${gr.group}" ${scope}`;
  const subject =
    name === undefined || name === '' ? groupResourceString(gr) : `${groupResourceString(gr)} "${name}"`;
  return failure(403, 'Forbidden', `${subject} is forbidden: ${reason}`, resourceDetails(gr, name));
}

/** A validation error, the way field.Error prints it (`path: Invalid value: 70000: detail`). */
export interface FieldError {
  type: FieldErrorType;
  field: string;
  /** The offending value; undefined for Required/Forbidden, which print no value. */
  value?: unknown;
  detail?: string;
}

export type FieldErrorType =
  | 'FieldValueInvalid'
  | 'FieldValueRequired'
  | 'FieldValueForbidden'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueTooLong';

const FIELD_ERROR_WORDS: Record<FieldErrorType, string> = {
  FieldValueInvalid: 'Invalid value',
  FieldValueRequired: 'Required value',
  FieldValueForbidden: 'Forbidden',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueTooLong: 'Too long',
};

/** Go's `%v` for numbers and booleans, `%q` for strings, JSON for the rest (close to `%#v`). */
function formatBadValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** field.Error.ErrorBody: the cause message, without the field path. */
export function fieldErrorBody(error: FieldError): string {
  const word = FIELD_ERROR_WORDS[error.type];
  const printsValue =
    error.type !== 'FieldValueRequired' &&
    error.type !== 'FieldValueForbidden' &&
    error.type !== 'FieldValueTooLong';
  let body = printsValue ? `${word}: ${formatBadValue(error.value)}` : word;
  if (error.detail !== undefined && error.detail !== '') body += `: ${error.detail}`;
  return body;
}

export function fieldErrorString(error: FieldError): string {
  return `${error.field}: ${fieldErrorBody(error)}`;
}

/** utilerrors.NewAggregate(...).Error(): one error bare, several in brackets, duplicates dropped. */
function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  if (unique.length === 1) return unique[0] ?? '';
  return `[${unique.join(', ')}]`;
}

export interface GroupKind {
  group: string;
  kind: string;
}

/** `NetworkPolicy.networking.k8s.io`, or `Namespace` for the core group (schema.GroupKind.String). */
export function groupKindString(gk: GroupKind): string {
  return gk.group === '' ? gk.kind : `${gk.kind}.${gk.group}`;
}

/** errors.NewInvalid: 422 with one cause per field error. */
export function invalid(gk: GroupKind, name: string, errors: FieldError[]): Status {
  const subject = `${groupKindString(gk)} "${name}" is invalid`;
  const message = errors.length === 0 ? subject : `${subject}: ${aggregate(errors.map(fieldErrorString))}`;
  const details: StatusDetails = {};
  if (name !== '') details.name = name;
  if (gk.group !== '') details.group = gk.group;
  details.kind = gk.kind;
  details.causes = errors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field }));
  return failure(422, 'Invalid', message, details);
}

export interface ApplyConflict {
  manager: string;
  /** The manager's operation: an `Update` manager is printed with its API version, as the real server does. */
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  path: string;
}

function printManager(c: ApplyConflict): string {
  const name = JSON.stringify(c.manager);
  if (c.operation === 'Apply') return name;
  return c.time === undefined
    ? `${name} using ${c.apiVersion}`
    : `${name} using ${c.apiVersion} at ${c.time}`;
}

/** The server-side apply conflict (structured-merge-diff's `NewConflictError`). */
export function applyConflict(conflicts: ApplyConflict[]): Status {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c)}`,
    field: c.path,
  }));
  let message: string;
  const first = conflicts[0];
  if (conflicts.length === 1 && first !== undefined) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(first)}: ${first.path}`;
  } else {
    const byManager = new Map<string, { printed: string; paths: string[] }>();
    for (const c of conflicts) {
      const entry = byManager.get(c.manager) ?? { printed: printManager(c), paths: [] };
      entry.paths.push(c.path);
      byManager.set(c.manager, entry);
    }
    const lines: string[] = [];
    for (const manager of [...byManager.keys()].sort()) {
      const entry = byManager.get(manager);
      if (entry === undefined) continue;
      lines.push(`conflicts with ${entry.printed}:`);
      for (const path of entry.paths) lines.push(`- ${path}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return failure(409, 'Conflict', message, { causes });
}

/** A watch from a compacted resourceVersion (`errors.NewResourceExpired`). */
export function expired(message: string): Status {
  return failure(410, 'Expired', message);
}

export function internalError(message: string): Status {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

export function serviceUnavailable(message?: string): Status {
  return failure(
    503,
    'ServiceUnavailable',
    message ?? 'the server is currently unable to handle the request',
  );
}

export function tooManyRequests(retryAfterSeconds: number, message?: string): Status {
  return failure(429, 'TooManyRequests', message ?? 'Too many requests, please try again later.', {
    retryAfterSeconds,
  });
}

export function methodNotAllowed(method: string): Status {
  return failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, {
    causes: [{ message: method }],
  });
}

export function unsupportedMediaType(contentType: string, accepted: string[]): Status {
  return failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    { causes: [{ message: contentType }] },
  );
}

/** An unknown path under a known API group, as the real server answers it. */
export function resourceNotFound(): Status {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

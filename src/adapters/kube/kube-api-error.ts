/**
 * The one place where a failure of the Kubernetes API becomes a typed error, and where it is decided
 * whether trying again can help (STYLE.md: retry is explicit). client-node's ApiException (an HTTP
 * status and the API's Status body), a network error and anything else are normalised here, by shape
 * rather than by class, so this module needs no client-node at run time.
 *
 * | status                | permanent | why                                                          |
 * |-----------------------|-----------|--------------------------------------------------------------|
 * | 400 BadRequest        | yes       | the request itself is malformed; the same bytes fail again   |
 * | 401 Unauthorized      | no        | a token being rotated; the operator fixes credentials        |
 * | 403 Forbidden         | yes       | RBAC: the worker's service account lacks the verb            |
 * | 404 on a namespace    | yes       | the target namespace does not exist                          |
 * | 404 otherwise         | yes       | the resource is not served (callers treat a missing object)  |
 * | 409 Conflict          | no        | a concurrent writer; the next attempt reads again            |
 * | 410 Gone              | no        | a stale resourceVersion; relist                              |
 * | 422 Invalid           | yes       | validation; the approved object can never be stored          |
 * | 429, 5xx, no response | no        | throttling, an unavailable API server, the network          |
 *
 * Each error also carries a catalogue code (src/core/error-catalogue.ts) named after its status.
 */
import type { CodeOf } from '../../core/error-catalogue';

export type KubeApiErrorCode = CodeOf<'KubeApiError'>;

/** The catalogue code of an HTTP status (0: no response). */
export function kubeApiErrorCode(status: number): KubeApiErrorCode {
  switch (status) {
    case 400:
    case 422:
      return 'E_KUBE_INVALID';
    case 401:
      return 'E_KUBE_UNAUTHORIZED';
    case 403:
      return 'E_KUBE_FORBIDDEN';
    case 404:
      return 'E_KUBE_NOT_FOUND';
    case 409:
    case 410:
      return 'E_KUBE_CONFLICT';
    default:
      return 'E_KUBE_UNAVAILABLE';
  }
}

export class KubeApiError extends Error {
  /** Derived from the status: E_KUBE_FORBIDDEN, E_KUBE_INVALID, ... */
  readonly code: KubeApiErrorCode;
  /** The HTTP status, or 0 when no response arrived (connection refused, reset, timeout). */
  readonly status: number;
  /** The Status `reason` (Forbidden, Invalid, Conflict, NotFound...), or `NetworkError`/`Unknown`. */
  readonly reason: string;
  /** True when trying again cannot succeed: the job is marked unrecoverable. */
  readonly permanent: boolean;
  /** The Status `details.kind` (e.g. `namespaces` on a 404 for a missing namespace). */
  readonly kind?: string;

  constructor(options: {
    status: number;
    reason: string;
    message: string;
    permanent: boolean;
    kind?: string;
    cause?: unknown;
  }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeApiError';
    this.code = kubeApiErrorCode(options.status);
    this.status = options.status;
    this.reason = options.reason;
    this.permanent = options.permanent;
    if (options.kind !== undefined) this.kind = options.kind;
  }
}

export function isKubeApiError(value: unknown): value is KubeApiError {
  return value instanceof KubeApiError;
}

const PERMANENT_STATUSES = new Set([400, 403, 404, 422]);

const REASON_BY_STATUS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** client-node 1.x keeps the response body as text for JSON errors; parse it when it is a Status. */
function statusBody(body: unknown): Obj | undefined {
  if (isObj(body)) return body;
  if (typeof body !== 'string' || body.trim() === '') return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    return isObj(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Normalise anything thrown by a Kubernetes call. A KubeApiError passes through unchanged. */
export function toKubeApiError(error: unknown): KubeApiError {
  if (error instanceof KubeApiError) return error;
  if (isObj(error) && typeof error.code === 'number' && 'body' in error) {
    const status = error.code;
    const body = statusBody(error.body);
    const details = isObj(body?.details) ? body.details : undefined;
    const reason =
      typeof body?.reason === 'string' && body.reason !== ''
        ? body.reason
        : (REASON_BY_STATUS[status] ?? (status >= 500 ? 'InternalError' : 'Unknown'));
    const fallback = typeof error.body === 'string' && error.body.trim() !== '' ? error.body.trim() : '';
    const message =
      typeof body?.message === 'string' && body.message !== ''
        ? body.message
        : `the Kubernetes API answered ${status} ${reason}${fallback === '' ? '' : `: ${fallback.slice(0, 200)}`}`;
    const kind = typeof details?.kind === 'string' ? details.kind : undefined;
    return new KubeApiError({
      status,
      reason,
      message,
      permanent: PERMANENT_STATUSES.has(status),
      kind,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new KubeApiError({
    status: 0,
    reason: 'NetworkError',
    message: `the Kubernetes API could not be reached: ${message}`,
    permanent: false,
    cause: error,
  });
}

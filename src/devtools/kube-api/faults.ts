/**
 * Injected failures: `failNext()` queues faults, and each request that matches one (by verb,
 * resource, namespace, name) is answered with that fault's Status instead of being served, as many
 * times as asked. The Statuses are the real server's for each code (RBAC's 403 wording included).
 */
import { groupKindOf, groupResourceOf, type ResourceInfo, type ResourceName } from './resources';
import {
  conflict,
  expired,
  forbidden,
  internalError,
  invalid,
  notFound,
  serviceUnavailable,
  tooManyRequests,
  unauthorized,
  type Status,
} from './status';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export type FaultStatus = 401 | 403 | 404 | 409 | 410 | 422 | 429 | 500 | 503;

export interface Fault {
  verb?: Verb;
  resource?: ResourceName;
  name?: string;
  namespace?: string;
  status: FaultStatus;
  /** Replaces the Status message (the default is the real server's wording for that status). */
  message?: string;
  /** How many matching requests fail. Default 1. */
  times?: number;
}

export interface FaultTarget {
  verb: Verb;
  info: ResourceInfo;
  namespace?: string;
  name?: string;
}

export class FaultQueue {
  private readonly faults: (Fault & { times: number })[] = [];

  /** @param user the authenticated user a 403 names. */
  constructor(private readonly user: string) {}

  push(fault: Fault): void {
    this.faults.push({ ...fault, times: fault.times ?? 1 });
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** The Status to answer a request with, or undefined when no fault matches it. */
  take(target: FaultTarget): Status | undefined {
    const { verb, info, namespace, name } = target;
    const index = this.faults.findIndex(
      (f) =>
        (f.verb === undefined || f.verb === verb) &&
        (f.resource === undefined || f.resource === info.resource) &&
        (f.name === undefined || f.name === name) &&
        (f.namespace === undefined || f.namespace === namespace),
    );
    const fault = this.faults[index];
    if (fault === undefined) return undefined;
    fault.times--;
    if (fault.times <= 0) this.faults.splice(index, 1);
    return this.statusFor(fault, target);
  }

  private statusFor(fault: Fault, { verb, info, namespace, name }: FaultTarget): Status {
    const gr = groupResourceOf(info);
    const objectName = name ?? '';
    let status: Status;
    switch (fault.status) {
      case 401:
        status = unauthorized();
        break;
      case 403:
        status = forbidden({ user: this.user, verb, gr, name, namespace });
        break;
      case 404:
        status = notFound(gr, objectName);
        break;
      case 409:
        status = conflict(gr, objectName);
        break;
      case 410:
        status = expired('too old resource version');
        break;
      case 422:
        status = invalid(groupKindOf(info), objectName, []);
        break;
      case 429:
        status = tooManyRequests(1);
        break;
      case 500:
        status = internalError(fault.message ?? 'injected failure');
        break;
      case 503:
        status = serviceUnavailable();
        break;
    }
    if (fault.message !== undefined) status.message = fault.message;
    return status;
  }
}

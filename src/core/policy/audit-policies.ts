/**
 * Audit mode on the policies netpol writes (issue 10; what the annotation means: core/k8s/audit-mode.ts).
 * A request with `--audit 1h` gives policies that differ from its enforced twin's only by the
 * annotation `netpol.io/audit: "1h"` and the `--audit 1h` at the end of `netpol.io/command`: the same
 * names (policy-name.ts hashes the namespace and spec, never the metadata), so enforcing is applying
 * the twin over them. The approval hash covers the whole objects, annotation included.
 */
import { AUDIT_ANNOTATION, auditModeOf } from '../k8s/audit-mode';
import type { NetworkPolicy } from '../k8s/types';
import { enforcedCommand } from '../request/format-request';
import type { PolicyRequest } from '../request/request';
import { ANNOTATIONS } from './provenance';

/** The annotation a request's policies carry: `{ "netpol.io/audit": "1h" }`, or nothing. */
export function auditAnnotations(request: PolicyRequest): Record<string, string> {
  return request.audit === undefined ? {} : { [AUDIT_ANNOTATION]: request.audit.window };
}

/** The audit window shared by the policies (all of one request), or undefined when they are enforced. */
export function auditWindowOf(policies: readonly NetworkPolicy[]): string | undefined {
  for (const policy of policies) {
    const mode = auditModeOf(policy.metadata.annotations);
    if (mode !== undefined) return mode.window;
  }
  return undefined;
}

/**
 * The policies as they are once enforced: without the audit annotation, and with the `--audit` of
 * their recorded command dropped. What the preview evaluates ("what it would block") and what the
 * Enforce button can submit.
 */
export function asEnforced(policies: readonly NetworkPolicy[]): NetworkPolicy[] {
  return policies.map((policy) => {
    const annotations = policy.metadata.annotations;
    if (annotations === undefined || auditModeOf(annotations) === undefined) return policy;
    const kept: Record<string, string> = {};
    for (const [key, value] of Object.entries(annotations)) {
      if (key === AUDIT_ANNOTATION) continue;
      kept[key] = key === ANNOTATIONS.command ? enforcedCommand(value) : value;
    }
    return { ...policy, metadata: { ...policy.metadata, annotations: kept } };
  });
}

/**
 * Audit mode (issue 10): a NetworkPolicy annotated `netpol.io/audit` is rolled out without being
 * enforced. Its verdicts are computed, what it would drop is reported ("would drop"), and nothing
 * is dropped because of it, until the same policy is applied again without the annotation (the
 * "Enforce" button: a new approval).
 *
 * The annotation's PRESENCE is what puts a policy in audit mode, whatever its value; the value is
 * the audit window the request asked for (`--audit 1h` writes "1h"), after which the workers report
 * in the request's thread what it would have blocked. A window that has passed does not switch
 * enforcement on by itself: nothing starts dropping without an approval. A value that is not a
 * duration still means audit mode (with no report due): the safe reading of a hand-written
 * annotation is the one that drops nothing new.
 *
 * Everything that judges traffic agrees: the evaluator (matrix, explain, can, show, the alert
 * worker's blame) leaves audit policies out of verdicts exactly as the node agent does not enforce
 * them.
 */

export const AUDIT_ANNOTATION = 'netpol.io/audit';

export interface AuditMode {
  /** The annotation's value as written. */
  readonly window: string;
  /** The window in milliseconds, when the value is a duration ("90s", "30m", "1h", "2d"). */
  readonly windowMs: number | undefined;
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "90s", "30m", "1h", "2d" (a positive whole number and one unit) in milliseconds, else undefined. */
export function parseAuditWindow(text: string): number | undefined {
  const match = /^([1-9]\d{0,6})(s|m|h|d)$/.exec(text.trim());
  if (match === null) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** The policy's audit mode, from its metadata.annotations; undefined when it is enforced. */
export function auditModeOf(
  annotations: Readonly<Record<string, string>> | undefined,
): AuditMode | undefined {
  if (annotations === undefined || !Object.prototype.hasOwnProperty.call(annotations, AUDIT_ANNOTATION))
    return undefined;
  const window = annotations[AUDIT_ANNOTATION] ?? '';
  return { window, windowMs: parseAuditWindow(window) };
}

/** Whether a policy object (anything with metadata.annotations) is in audit mode. */
export function isAuditPolicy(policy: {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> };
}): boolean {
  return auditModeOf(policy.metadata?.annotations) !== undefined;
}

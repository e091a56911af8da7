/**
 * The action ids of netpol's buttons: a stable contract between the renderers, which put them on
 * buttons, and the bot, which listens for them. Changing one strands every button already posted.
 * Submit and Cancel carry the draft id as their value; Reject carries the request id; Approve carries
 * the request id and the hash of the policies its card showed (`<id>:<hash>`), so an approval is
 * bound to what the approver saw, not to whatever the store holds when the click arrives. A button
 * never carries a command to re-run.
 */

export const SUBMIT_ACTION_ID = 'netpol_submit';
export const CANCEL_ACTION_ID = 'netpol_cancel';
export const APPROVE_ACTION_ID = 'netpol_approve';
export const REJECT_ACTION_ID = 'netpol_reject';
/** On a drop alert (issue 10): carries `<cluster>/<alert id>`; opens the preview of allowing its flow. */
export const ALERT_REQUEST_ALLOW_ACTION_ID = 'netpol_alert_request_allow';

/**
 * On a `/netpol suggest` message (issue 10): Request approval carries the suggestion id; the flows
 * ticked come in the click's state, from the checkboxes whose action ids start with the prefix.
 */
export const SUGGEST_REQUEST_APPROVAL_ACTION_ID = 'netpol_suggest_request_approval';
export const SUGGEST_FLOWS_ACTION_PREFIX = 'netpol_suggest_flows_';

/**
 * On an audit report (issue 10): Enforce carries the audited request's id; opens the preview of a new
 * request for the same policies without the audit annotation.
 */
export const AUDIT_ENFORCE_ACTION_ID = 'netpol_audit_enforce';

export const ACTION_IDS = Object.freeze({
  submit: SUBMIT_ACTION_ID,
  cancel: CANCEL_ACTION_ID,
  approve: APPROVE_ACTION_ID,
  reject: REJECT_ACTION_ID,
  alertRequestAllow: ALERT_REQUEST_ALLOW_ACTION_ID,
  suggestRequestApproval: SUGGEST_REQUEST_APPROVAL_ACTION_ID,
  auditEnforce: AUDIT_ENFORCE_ACTION_ID,
} as const);

export type ActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];

/** Request ids never contain it (see SAFE_ID in the request store); hashes are hex. */
const HASH_SEPARATOR = ':';

/** The Approve button's value: the request id and the hash of the policies the card shows. */
export function approveButtonValue(requestId: string, policyHash: string): string {
  return `${requestId}${HASH_SEPARATOR}${policyHash}`;
}

export interface DecisionButtonValue {
  requestId: string;
  /** The hash the card showed; absent on Reject (and on an Approve button posted before the binding). */
  policyHash?: string;
}

/** Reads an Approve or Reject button's value. */
export function parseDecisionButtonValue(value: string): DecisionButtonValue {
  const at = value.indexOf(HASH_SEPARATOR);
  if (at < 0) return { requestId: value };
  return { requestId: value.slice(0, at), policyHash: value.slice(at + 1) };
}

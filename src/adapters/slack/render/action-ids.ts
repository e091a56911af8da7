/**
 * The action ids of netpol's buttons: a stable contract between the renderers, which put them on
 * buttons, and the bot, which listens for them. Changing one strands every button already posted.
 * Submit and Cancel carry the draft id as their value; Approve and Reject carry the request id and
 * nothing else (the record holds everything; a button never carries a command to re-run).
 */

export const SUBMIT_ACTION_ID = 'netpol_submit';
export const CANCEL_ACTION_ID = 'netpol_cancel';
export const APPROVE_ACTION_ID = 'netpol_approve';
export const REJECT_ACTION_ID = 'netpol_reject';

export const ACTION_IDS = Object.freeze({
  submit: SUBMIT_ACTION_ID,
  cancel: CANCEL_ACTION_ID,
  approve: APPROVE_ACTION_ID,
  reject: REJECT_ACTION_ID,
} as const);

export type ActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];

/**
 * Everything netpol shows in Slack, as pure functions from domain data to Block Kit messages
 * (`SlackMessage`: a plain-text fallback and at most 50 blocks). No clock, no I/O: times come in as
 * ISO strings. The bot posts what these return; it never builds blocks itself.
 */
export {
  ACTION_IDS,
  APPROVE_ACTION_ID,
  CANCEL_ACTION_ID,
  REJECT_ACTION_ID,
  SUBMIT_ACTION_ID,
} from './action-ids';
export type { ActionId } from './action-ids';
export { SLACK_LIMITS } from './blocks';
export type {
  ActionsBlock,
  Block,
  ButtonElement,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  MrkdwnText,
  PlainText,
  SectionBlock,
  SlackMessage,
  TextObject,
} from './blocks';
export { escapeMrkdwn, formatUtc, mention } from './mrkdwn';
export { renderPreview } from './preview';
export type { PreviewInput } from './preview';
export { renderApprovalMessage, renderApprovalThread } from './approval-message';
export type { ApprovalMessageOptions } from './approval-message';
export { isDecidable } from './request-status';
export { renderOutcomeReply, renderSubmitted } from './outcome-reply';
export { refusalText, renderRefusal } from './refusal';
export type { Refusal, RefusalContext } from './refusal';
export { caretEcho, renderError } from './error-reply';
export type { ErrorContext } from './error-reply';
export { renderShowNamespace, SHOW_MAX_PAGES } from './show-namespace';
export type { ShowNamespaceInput } from './show-namespace';
export { renderExplain } from './explain';
export type { ExplainInput } from './explain';
export { renderQueryAnswer } from './query-answer';
export type { QueryAnswerInput } from './query-answer';
export { renderHelp, renderHistory, renderPending } from './lists';
export type { HistoryInput, PendingInput } from './lists';
export { renderFullYaml } from './full-yaml';
export type { FullYamlInput } from './full-yaml';
export { renderStatus, statusText } from './status';
export { staleSnapshotNote, waitingForWorkerNote } from './status-notes';

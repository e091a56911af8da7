/** The one outbound path to Slack: producers enqueue with SlackOutbox, the bot runs the worker. */
export { SlackOutbox } from './slack-outbox';
export type { SendOptions, SlackOutboxOptions } from './slack-outbox';
export { startSlackOutboundWorker } from './slack-outbound-worker';
export type {
  CurrentCard,
  SlackCall,
  SlackOutboundWorker,
  SlackOutboundWorkerOptions,
} from './slack-outbound-worker';
export type { SlackDelivered } from './deliver';
export { createSlackWebClient, pinoSlackLogger } from './slack-web-client';
export type { CreateSlackWebClientOptions } from './slack-web-client';
export { classifySlackError, SlackOutboundError } from './slack-errors';
export type { SlackFailure, SlackOutboundErrorCode } from './slack-errors';

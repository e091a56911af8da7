/**
 * The validated configuration of the bot and of a worker: loaded once at startup (load-config.ts),
 * frozen, and passed down. Nothing else reads process.env.
 */
import type { KeywordOptions } from '../../core/policy/keywords';

export interface ApproverRule {
  /** Slack user IDs (U..., W...). */
  users: string[];
  /** Slack user group IDs (S...): their members at click time. */
  groups: string[];
}

export interface BotConfig {
  slack: {
    /** `socket` when SLACK_APP_TOKEN is set, else `http` (Bolt's receiver on PORT, /slack/events). */
    mode: 'http' | 'socket';
    botToken: string;
    signingSecret?: string;
    appToken?: string;
    /** Another Web API base (a stand-in), e.g. http://127.0.0.1:9999/api/ */
    apiUrl?: string;
    port: number;
    /** The interface the HTTP receiver binds (HOST; default 0.0.0.0, every IPv4 interface). */
    host: string;
  };
  redisUrl: string;
  /** Prefix of every Redis key and BullMQ queue, so several installations share a Redis. */
  prefix: string;
  clusters: string[];
  /** Used when a request names no cluster; '' when several are configured and none is the default. */
  defaultCluster: string;
  /** Where approval messages are posted. */
  approvalChannel: string;
  approvers: { default: ApproverRule; namespaces: Record<string, ApproverRule> };
  /** Who may request: empty lists mean everyone. */
  requesters: { channels: string[]; users: string[] };
  /**
   * Who may read the cluster (`show`, `explain`, `history`, `pending`, and questions: `can`, `who`,
   * `what`): in one of `channels` (empty: any channel), and one of `users` or a member of one of
   * `groups` (both empty: anyone). The default, all empty, is everyone everywhere.
   */
  readers: { channels: string[]; users: string[]; groups: string[] };
  requestTtlMs: number;
  labelKeys: string[];
  keywords: KeywordOptions;
  logLevel: string;
  /** Where /metrics listens (NETPOL_METRICS_PORT, _HOST); absent: no metrics server (a config built by hand). */
  metrics?: ListenAddress;
}

/** A TCP port (0: any free port) and the interface it listens on. */
export interface ListenAddress {
  port: number;
  host: string;
}

/** What the request language needs from the bot's file; the CLI loads only this part. */
export type RequestLanguageConfig = Pick<BotConfig, 'labelKeys' | 'keywords'>;

export interface WorkerConfig {
  cluster: string;
  redisUrl: string;
  prefix: string;
  /** Path of a kubeconfig; absent means in-cluster service account. */
  kubeconfig?: string;
  /** Server-side apply field manager. */
  fieldManager: string;
  concurrency: number;
  logLevel: string;
  /** Where /metrics listens (NETPOL_METRICS_PORT, _HOST); absent: no metrics server (a config built by hand). */
  metrics?: ListenAddress;
  /** Drop alerts (issue 10): absent when NETPOL_ALERT_CHANNEL is unset (no alert worker runs). */
  alerts?: AlertsConfig;
}

/** Where and how the alert worker reports the agents' drops. */
export interface AlertsConfig {
  /** The channel for namespaces without their own (NETPOL_ALERT_CHANNEL). */
  defaultChannel: string;
  /** Namespace -> channel (NETPOL_ALERT_CHANNELS, `backend=C0BACKEND,frontend=C0FRONTEND`). */
  channels: Record<string, string>;
  /** Aggregation window (NETPOL_ALERT_WINDOW, default 5m). */
  windowMs: number;
}

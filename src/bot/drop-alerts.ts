/**
 * The bot's side of drop alerts (issue 10): `/netpol mute`, `/netpol unmute`, and the alert's
 * **Request allow** button, which opens the same preview as `/netpol allow` for the alert's flow,
 * written with the narrowest sensible selectors (each workload's own name label, the port and
 * protocol seen), then goes through the usual Submit and approval. The alert worker writes the
 * alerts and reads the mutes; both live in Redis (adapters/redis/alert-store.ts, mute-store.ts).
 */
import { isNetpolError, NetpolError } from '../core/errors';
import { parseAlertButtonValue, type AlertPeer, type AlertRecord } from '../adapters/redis/alert-store';
import { muteTargetText, parseMuteCommand, parseMuteTarget } from '../adapters/redis/mute-store';
import { renderError, type SlackMessage } from '../adapters/slack/render';
import { renderMuteList, renderMuteReply } from '../adapters/slack/render/alert';
import { requireReader } from './authorize';
import type { BotContext, CommandInput } from './bot-context';
import { DraftPreviews } from './draft-previews';

/** A typed command (the registry's CommandCall, without importing the registry back). */
interface AlertCommandCall {
  input: CommandInput;
  /** Named or default; undefined when neither (several clusters): ctx.cluster says how to name one. */
  cluster: string | undefined;
  rest: string;
}

const NOT_SET_UP = 'drop alerts are not set up for this bot';

function alertsOf(ctx: BotContext) {
  const alerts = ctx.deps.alerts;
  if (alerts === undefined) throw new NetpolError('E_UNSUPPORTED', NOT_SET_UP);
  return alerts;
}

/**
 * `/netpol mute <target> <duration>`: readers may mute (it only holds messages back). `/netpol
 * mute` alone lists what is muted.
 */
export async function muteCommand(
  { input, cluster: named, rest }: AlertCommandCall,
  ctx: BotContext,
): Promise<SlackMessage[]> {
  const cluster = ctx.cluster(named);
  await requireReader(ctx.deps.config, ctx.deps.groupMembers, input);
  if (rest.trim() === '') {
    const mutes = await alertsOf(ctx).mutes.active(cluster, ctx.now().getTime());
    const list = mutes.map((m) => ({
      target: muteTargetText(m.target),
      until: new Date(m.until).toISOString(),
    }));
    return [renderMuteList({ cluster, user: input.user, mutes: list })];
  }
  const { target, durationMs } = parseMuteCommand(rest);
  const until = await alertsOf(ctx).mutes.mute(cluster, target, durationMs, ctx.now().getTime());
  return [
    renderMuteReply({
      cluster,
      user: input.user,
      target: muteTargetText(target),
      until: new Date(until).toISOString(),
    }),
  ];
}

/** `/netpol unmute <target>` */
export async function unmuteCommand(
  { input, cluster: named, rest }: AlertCommandCall,
  ctx: BotContext,
): Promise<SlackMessage[]> {
  const cluster = ctx.cluster(named);
  await requireReader(ctx.deps.config, ctx.deps.groupMembers, input);
  const target = parseMuteTarget(
    rest,
    'e.g. /netpol unmute backend, /netpol unmute frontend/nginx -> backend',
  );
  const was = await alertsOf(ctx).mutes.unmute(cluster, target, ctx.now().getTime());
  return [renderMuteReply({ cluster, user: input.user, target: muteTargetText(target), notMuted: !was })];
}

/** One end of the flow in the request language: `ns/app=x`, `ns/*`, or an address as a /32 or /128. */
export function requestEnd(peer: AlertPeer): string {
  if (peer.kind === 'address') return `${peer.address}/${peer.address.includes(':') ? 128 : 32}`;
  const labels = Object.entries(peer.selector).map(([key, value]) => `${key}=${value}`);
  return `${peer.namespace}/${labels.length === 0 ? '*' : labels.join(',')}`;
}

/** The request that allows exactly the alert's flow: `allow frontend/app=nginx to backend/app=api on tcp/8080`. */
export function allowRequestText(record: AlertRecord): string {
  const { group } = record;
  const protocol = { 6: 'tcp', 17: 'udp', 132: 'sctp' }[group.protocol];
  if (protocol === undefined) {
    // Without a port, the request would open every TCP, UDP and SCTP port: not what was seen.
    throw new NetpolError(
      'E_UNSUPPORTED',
      'NetworkPolicy admits only TCP, UDP and SCTP: this flow cannot be allowed',
    );
  }
  return `allow ${requestEnd(group.source)} to ${requestEnd(group.destination)} on ${protocol}/${group.port}`;
}

export class AlertRequestAllow {
  private readonly previews: DraftPreviews;

  constructor(private readonly ctx: BotContext) {
    this.previews = new DraftPreviews(ctx);
  }

  /** The click: the preview of allowing the alert's flow, to the person who clicked (ephemeral). */
  async click(user: string, channel: string, value: string): Promise<SlackMessage> {
    const { cluster: named, id } = parseAlertButtonValue(value);
    let cluster = named ?? this.ctx.deps.config.defaultCluster;
    let text = '';
    try {
      cluster = this.ctx.cluster(named);
      const record = await alertsOf(this.ctx).records.get(cluster, id);
      if (record === undefined) {
        throw new NetpolError('E_ALERT_GONE', 'this alert is no longer kept (alerts are kept a day)', {
          hint: 'type the request yourself: /netpol allow <from> to <to> on <port>',
        });
      }
      text = allowRequestText(record);
      return await this.previews.request({ user, channel, text }, cluster, text);
    } catch (error) {
      if (isNetpolError(error)) return renderError(error, { cluster, text, user });
      throw error;
    }
  }
}

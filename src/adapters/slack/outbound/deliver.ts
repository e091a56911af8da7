/**
 * One outbound job as one Web API call: chat.postMessage, chat.update or chat.postEphemeral with the
 * job's fields. Throws what WebClient throws; slack-errors.ts says what that means.
 */
import type {
  ChatPostEphemeralArguments,
  ChatPostMessageArguments,
  ChatUpdateArguments,
  WebClient,
} from '@slack/web-api';
import type { SlackOutboundJob } from '../../../contracts/queues';

/** Where the message landed. For an ephemeral message `ts` is its message_ts (not editable). */
export interface SlackDelivered {
  channel: string;
  ts: string;
}

export async function deliver(client: WebClient, job: SlackOutboundJob): Promise<SlackDelivered> {
  switch (job.kind) {
    case 'post': {
      const res = await client.chat.postMessage({
        channel: job.channel,
        text: job.text,
        ...(job.blocks !== undefined ? { blocks: job.blocks } : {}),
        ...(job.threadTs !== undefined ? { thread_ts: job.threadTs } : {}),
        unfurl_links: false,
      } as ChatPostMessageArguments);
      return { channel: res.channel ?? job.channel, ts: res.ts ?? '' };
    }
    case 'update': {
      // Blocks always sent: chat.update without them would keep the old ones.
      const res = await client.chat.update({
        channel: job.channel,
        ts: job.ts,
        text: job.text,
        blocks: job.blocks,
      } as ChatUpdateArguments);
      return { channel: res.channel ?? job.channel, ts: res.ts ?? job.ts };
    }
    case 'ephemeral': {
      const res = await client.chat.postEphemeral({
        channel: job.channel,
        user: job.user,
        text: job.text,
        ...(job.blocks !== undefined ? { blocks: job.blocks } : {}),
      } as ChatPostEphemeralArguments);
      return { channel: job.channel, ts: res.message_ts ?? '' };
    }
  }
}

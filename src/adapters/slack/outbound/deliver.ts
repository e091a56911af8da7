/**
 * One outbound job as one Web API call: chat.postMessage, chat.update or chat.postEphemeral with the
 * job's fields; a post with a file (issue 10) is Slack's external upload instead, three calls made
 * by WebClient's files.uploadV2 (files.getUploadURLExternal, the bytes to the upload URL,
 * files.completeUploadExternal sharing it in the channel or thread with the text as its comment).
 * Throws what WebClient throws; slack-errors.ts says what that means (a 429 on any of the three
 * rate-limits the queue like any call; the job is retried whole, the file uploaded again).
 */
import type {
  ChatPostEphemeralArguments,
  ChatPostMessageArguments,
  ChatUpdateArguments,
  FilesUploadV2Arguments,
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
      if (job.file !== undefined) {
        await client.files.uploadV2({
          channel_id: job.channel,
          file: Buffer.from(job.file.contentBase64, 'base64'),
          filename: job.file.filename,
          title: job.file.title,
          initial_comment: job.text,
          ...(job.threadTs !== undefined ? { thread_ts: job.threadTs } : {}),
        } as FilesUploadV2Arguments);
        // files.completeUploadExternal names the file, not the message it shares it in (Slack
        // shares it asynchronously): there is no ts to edit or to hook on.
        return { channel: job.channel, ts: '' };
      }
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

/**
 * The stand-in's external upload at the wire, without WebClient: what Slack refuses is refused (an
 * unknown upload URL, completing a file never uploaded, a complete with no files), and a raw-body
 * upload is kept byte for byte. WebClient's own multipart upload is exercised by
 * src/adapters/slack/outbound/slack-outbound-upload.test.ts.
 */
import { SlackWebApiStandIn } from './slack-web-api-stand-in';
import { TEST_BOT } from './slack-test-identity';

let standIn: SlackWebApiStandIn;
beforeEach(async () => {
  standIn = await SlackWebApiStandIn.start({ channels: [{ id: 'C0FILES', name: 'files' }] });
});
afterEach(async () => {
  await standIn.close();
});

async function api(method: string, body: Record<string, string>): Promise<Record<string, unknown>> {
  const res = await fetch(`${standIn.apiUrl}${method}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TEST_BOT.token}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(body).toString(),
  });
  return (await res.json()) as Record<string, unknown>;
}

it('reserves, receives raw bytes at the upload URL and shares them as one message', async () => {
  const reserved = await api('files.getUploadURLExternal', { filename: 'a.png', length: '4' });
  expect(reserved).toMatchObject({ ok: true, file_id: expect.stringMatching(/^F[A-Z0-9]+$/) });
  const upload = await fetch(reserved.upload_url as string, {
    method: 'POST',
    body: Buffer.from([1, 2, 3, 4]),
  });
  expect(upload.status).toBe(200);
  const done = await api('files.completeUploadExternal', {
    files: JSON.stringify([{ id: reserved.file_id, title: 'A' }]),
    channel_id: 'C0FILES',
    initial_comment: 'here',
  });
  expect(done).toEqual({ ok: true, files: [{ id: reserved.file_id, title: 'A' }] });
  const [file] = standIn.files();
  expect(file!.bytes).toEqual(Buffer.from([1, 2, 3, 4]));
  expect(standIn.messages('C0FILES')).toEqual([
    expect.objectContaining({
      text: 'here',
      files: [expect.objectContaining({ id: reserved.file_id, name: 'a.png' })],
    }),
  ]);
});

it('refuses what Slack refuses', async () => {
  expect(await api('files.getUploadURLExternal', { filename: 'a.png' })).toEqual({
    ok: false,
    error: 'invalid_arguments',
  });
  expect((await fetch(`${standIn.url}/upload/F0NOPE`, { method: 'POST', body: 'x' })).status).toBe(404);
  const reserved = await api('files.getUploadURLExternal', { filename: 'a.png', length: '1' });
  expect(
    await api('files.completeUploadExternal', {
      files: JSON.stringify([{ id: reserved.file_id }]),
      channel_id: 'C0FILES',
    }),
  ).toEqual({ ok: false, error: 'file_not_found' });
  expect(await api('files.completeUploadExternal', { files: '[]', channel_id: 'C0FILES' })).toEqual({
    ok: false,
    error: 'invalid_arguments',
  });
  expect(standIn.messages('C0FILES')).toEqual([]);
});

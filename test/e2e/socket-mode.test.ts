/**
 * The control plane end to end over both ways Slack reaches the bot: Bolt's HTTP receiver (signed
 * requests) and Socket Mode (the bot opens a WebSocket to the Socket Mode stand-in with its app-level
 * token and acks envelopes). The same scenarios run over both; Socket Mode also has to survive its
 * connection dropping, which Slack does routinely (a `disconnect` envelope about hourly, network loss).
 */
import { startControlPlane, type ControlPlane } from '../../src/devtools/control-plane';
import type { SlackTransportKind } from '../../src/devtools/slack/slack-app-transport';
import { TEST_APP_TOKEN, type SocketModeStandIn } from '../../src/devtools/slack/socket-mode-stand-in';
import { readCommandsScenario, referenceScenario, refusalScenario } from './transport-scenarios';

jest.setTimeout(60_000);

function socketOf(plane: ControlPlane): SocketModeStandIn {
  if (plane.socket === undefined) throw new Error('this control plane does not run in Socket Mode');
  return plane.socket;
}

describe.each<SlackTransportKind>(['http', 'socket'])('the control plane over %s', (transport) => {
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await startControlPlane({ transport });
    await plane.startWorker();
    await plane.waitForSnapshot();
  });
  afterAll(async () => plane.close());

  it('runs the reference scenario: request, preview, submit, approve, applied', async () => {
    await referenceScenario(plane, 9101);
  });

  it('refuses self-approval and a non-approver, and leaves the request pending', async () => {
    await refusalScenario(plane, 9102);
  });

  it('answers show, help and a malformed request', async () => {
    await readCommandsScenario(plane);
  });

  it(`delivers every interaction over ${transport}`, () => {
    if (transport === 'http') {
      expect(plane.socket).toBeUndefined();
      expect(plane.slack.callsTo('apps.connections.open')).toHaveLength(0);
      return;
    }
    const opens = plane.slack.callsTo('apps.connections.open');
    expect(opens).toHaveLength(1);
    expect(opens[0]?.token).toBe(TEST_APP_TOKEN);
    expect(socketOf(plane).connectionsAccepted).toBe(1);
    expect(() => plane.eventsUrl).toThrow(/Socket Mode/);
  });
});

describe('Socket Mode reconnection', () => {
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await startControlPlane({ transport: 'socket' });
  });
  afterAll(async () => plane.close());

  it('reconnects when the connection drops, and answers the next command', async () => {
    const socket = socketOf(plane);
    expect((await plane.slash('help')).ack.status).toBe(200);
    socket.dropConnections();
    // @slack/socket-mode waits clientPingTimeout (5 s) before asking for a new URL.
    await socket.waitForConnections(2, 20_000);
    expect(plane.slack.callsTo('apps.connections.open')).toHaveLength(2);
    const after = await plane.slash('help');
    expect(after.ack.status).toBe(200);
    expect(JSON.stringify(after.reply.blocks)).toContain('/netpol');
  });

  it('reconnects when Slack sends a disconnect envelope (refresh_requested)', async () => {
    const socket = socketOf(plane);
    const accepted = socket.connectionsAccepted;
    socket.requestReconnect('refresh_requested');
    await socket.waitForConnections(accepted + 1, 20_000);
    expect(socket.openConnections).toBe(1);
    const after = await plane.slash('help');
    expect(after.ack.status).toBe(200);
    expect(JSON.stringify(after.reply.blocks)).toContain('/netpol');
  });
});

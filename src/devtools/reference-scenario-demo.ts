/**
 * The reference scenario through the whole control plane, for a person to watch: a real
 * redis-server, the Kubernetes and Slack API stand-ins on loopback, the real bot (Bolt's HTTP
 * receiver, driven with signed requests) and a real policy worker. Prints the conversation as Slack
 * would show it, and the cluster's reachability before and after. Run by scripts/run.sh.
 */
import { stringify } from 'yaml';
import { buildPolicyIndex, computeMatrix } from '../core/evaluator';
import { renderMatrixTable } from '../core/query/render-matrix';
import { stateFromObjects } from '../core/state/load-state';
import {
  ALICE,
  APPROVAL_CHANNEL,
  BOB,
  buttonValue,
  REQUEST_CHANNEL,
  startControlPlane,
  type ControlPlane,
} from './control-plane';

function say(text = ''): void {
  process.stdout.write(`${text}\n`);
}

function heading(text: string): void {
  say();
  say(`\u001b[1m== ${text}\u001b[0m`);
}

/** What a person reads in a Block Kit message: its section, header and context texts. */
function readable(blocks: unknown): string {
  const lines: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    if (obj.type === 'button' && typeof obj.text === 'object' && obj.text !== null) {
      lines.push(`[ ${(obj.text as { text: string }).text} ]`);
      return;
    }
    if ((obj.type === 'mrkdwn' || obj.type === 'plain_text') && typeof obj.text === 'string') {
      lines.push(obj.text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
      return;
    }
    Object.values(obj).forEach(walk);
  };
  walk(blocks);
  return lines.map((l) => l.replace(/^/gm, '  │ ')).join('\n');
}

function matrix(plane: ControlPlane, title: string): void {
  const objects = [
    ...plane.kube.store.list('namespaces').map((o) => ({ ...o, kind: 'Namespace' })),
    ...plane.kube.store.list('pods').map((o) => ({ ...o, kind: 'Pod' })),
    ...plane.kube.store.list('networkpolicies').map((o) => ({ ...o, kind: 'NetworkPolicy' })),
  ];
  say(
    renderMatrixTable(
      computeMatrix(buildPolicyIndex(stateFromObjects(objects)), { port: 80, protocol: 'TCP' }),
      title,
    ),
  );
}

export async function main(): Promise<void> {
  const plane = await startControlPlane();
  try {
    await plane.startWorker();
    await plane.waitForSnapshot();
    heading('The cluster: nginx in frontend and backend; backend has a default-deny-ingress policy');
    matrix(plane, 'reachability on TCP/80: frontend cannot reach backend');

    heading(`<@${ALICE}> types in #netpol-ops:  /netpol allow frontend nginx to backend`);
    const { reply } = await plane.slash('allow frontend nginx to backend', { user: ALICE });
    say('ephemeral preview (only Alice sees it):');
    say(readable(reply.blocks));

    heading('Alice clicks Submit');
    const draftId = buttonValue(reply.blocks, 'netpol_submit');
    const submitted = await plane.click({
      actionId: 'netpol_submit',
      value: draftId,
      user: ALICE,
      channel: REQUEST_CHANNEL,
      ephemeral: true,
    });
    say(readable((await plane.replyOn(submitted.responseUrlId)).blocks));
    const approval = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) => JSON.stringify(m.blocks ?? []).includes(draftId),
      10_000,
    );
    say('posted in #approvals:');
    say(readable(approval.blocks));

    heading(`<@${ALICE}>, who is not an approver, clicks Approve`);
    const self = await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: ALICE,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    say(readable((await plane.replyOn(self.responseUrlId)).blocks));

    heading(`<@${BOB}> (an approver) clicks Approve`);
    await plane.click({
      actionId: 'netpol_approve',
      value: buttonValue(approval.blocks, 'netpol_approve'),
      user: BOB,
      channel: APPROVAL_CHANNEL,
      messageTs: approval.ts,
    });
    const applied = await plane.kube.waitFor(
      (store) =>
        store
          .list('networkpolicies', 'backend')
          .find(
            (p) =>
              (p.metadata as { annotations?: Record<string, string> }).annotations?.[
                'netpol.io/request-id'
              ] === draftId,
          ),
      10_000,
    );
    const reply2 = await plane.slack.waitForMessage(
      APPROVAL_CHANNEL,
      (m) => m.thread_ts === approval.ts,
      10_000,
    );
    say('the approval message, edited in place:');
    say(readable(plane.slack.message(APPROVAL_CHANNEL, approval.ts)?.blocks));
    say('in its thread:');
    say(readable(reply2.blocks ?? [{ type: 'mrkdwn', text: reply2.text }]));

    heading('The NetworkPolicy as the Kubernetes API now holds it');
    const { metadata, spec } = applied as { metadata: Record<string, unknown>; spec: unknown };
    say(
      stringify({
        metadata: {
          name: metadata.name,
          namespace: metadata.namespace,
          labels: metadata.labels,
          annotations: metadata.annotations,
        },
        spec,
      }).replace(/^/gm, '  '),
    );
    matrix(plane, 'reachability on TCP/80: frontend reaches backend again');

    heading('/netpol show backend');
    await plane.waitForSnapshot((state) => state.policies.length >= 2);
    say(readable((await plane.slash('show backend', { user: ALICE })).reply.blocks));
  } finally {
    await plane.close();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(
        `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}

/**
 * Read-only answers about a cluster, from the snapshot its workers keep: `show`, `explain`,
 * `history` and `pending`.
 */
import { NetpolError } from '../core/errors';
import { buildPolicyIndex } from '../core/evaluator';
import { canReachVerdicts } from '../core/query/answer-query';
import { parseRequest } from '../core/request/parser';
import { resolveRequest } from '../core/request/resolve-request';
import { closest } from '../core/request/suggest';
import {
  renderExplain,
  renderHistory,
  renderPending,
  renderShowNamespace,
  type SlackMessage,
} from '../adapters/slack/render';
import type { BotContext } from './bot-context';

export class ClusterAnswers {
  constructor(private readonly ctx: BotContext) {}

  async show(cluster: string, user: string, rest: string): Promise<SlackMessage[]> {
    const namespace = rest.trim();
    if (namespace === '')
      throw new NetpolError('E_USAGE', 'show needs a namespace', { hint: 'e.g. /netpol show backend' });
    const state = await this.ctx.state(cluster, true);
    if (!state.namespaces.some((n) => n.name === namespace)) {
      const suggestion = closest(
        namespace,
        state.namespaces.map((n) => n.name),
      );
      throw new NetpolError(
        'E_UNKNOWN_NAMESPACE',
        `no namespace "${namespace}" in cluster ${cluster}`,
        suggestion === undefined ? {} : { hint: `did you mean "${suggestion}"?` },
      );
    }
    return renderShowNamespace({ cluster, namespace, state, now: this.ctx.now().toISOString(), user });
  }

  async explain(cluster: string, user: string, rest: string): Promise<SlackMessage> {
    // `/netpol explain A to B on P` is the question `can A reach B on P`.
    const match = /^(.*?)\s+to\s+(.*)$/i.exec(rest.trim());
    if (match === null)
      throw new NetpolError('E_USAGE', 'explain needs a source and a destination', {
        hint: 'e.g. /netpol explain frontend/nginx to backend/api on 8080',
      });
    const state = await this.ctx.state(cluster, true);
    const parsed = parseRequest(`can ${match[1]} reach ${match[2]}`);
    const { request } = resolveRequest(parsed, { state, labelKeys: this.ctx.deps.config.labelKeys });
    if (request.verb !== 'can') throw new NetpolError('E_SYNTAX', 'not a question');
    return renderExplain({
      cluster,
      user,
      verdicts: canReachVerdicts(request, state, buildPolicyIndex(state)),
    });
  }

  async history(cluster: string, rest: string): Promise<SlackMessage> {
    const namespace = rest.trim();
    if (namespace === '')
      throw new NetpolError('E_USAGE', 'history needs a namespace', { hint: 'e.g. /netpol history backend' });
    return renderHistory({
      cluster,
      namespace,
      entries: await this.ctx.deps.store.history(cluster, namespace, { limit: 30 }),
    });
  }

  /** The audit trail of one request: its id names its cluster, so none need be given. */
  async requestHistory(requestId: string, user: string): Promise<SlackMessage> {
    const record = await this.ctx.deps.store.get(requestId);
    if (record === undefined)
      throw new NetpolError('E_USAGE', `no request ${requestId}`, {
        hint: '/netpol pending lists the open requests; /netpol history <namespace> the closed ones',
      });
    return renderHistory({
      cluster: record.cluster,
      requestId,
      entries: await this.ctx.deps.store.audit(requestId),
      user,
    });
  }

  /** `cluster` undefined: every cluster's open requests, each naming its cluster. */
  async pending(cluster: string | undefined, user: string): Promise<SlackMessage> {
    const records = await this.ctx.deps.store.listByState(
      ['pending-approval', 'approved', 'applying', 'failed'],
      { ...(cluster === undefined ? {} : { cluster }), limit: 40 },
    );
    return renderPending({
      ...(cluster === undefined ? {} : { cluster }),
      user,
      now: this.ctx.now().toISOString(),
      records,
    });
  }
}

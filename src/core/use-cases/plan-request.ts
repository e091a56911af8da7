/**
 * "Plan a request": text of the request language -> the typed request, resolved against the cluster
 * -> for a change, the exact policies and the pre-flight warnings; for a question, the answer. The
 * one pipeline behind `netpol parse` and the bot's previews, so both read the same words the same
 * way when given the same label keys and keywords (the bot's config). Pure: no clock, no I/O;
 * every refusal is a NetpolError.
 *
 * The caller may pass text or an already parsed request: the bot parses first to decide whether it
 * must authorise the person and whether the cluster's state is required before planning.
 */
import { NetpolError } from '../errors';
import type * as EvaluatorModule from '../evaluator';
import type { NetworkPolicy } from '../k8s/types';
import { buildPolicies } from '../policy/build-policies';
import type { KeywordOptions } from '../policy/keywords';
import type { Provenance } from '../policy/provenance';
import type * as WarningsModule from '../policy/warnings';
import type { Warning } from '../policy/warnings';
import type * as AnswerQueryModule from '../query/answer-query';
import { formatRequest } from '../request/format-request';
import { parseRequest } from '../request/parser';
import {
  isPolicyRequest,
  isQueryRequest,
  type PolicyRequest,
  type QueryRequest,
  type Request,
} from '../request/request';
import { resolveRequest } from '../request/resolve-request';
import type { ClusterState } from '../state/cluster-state';

export interface PlanRequestOptions {
  /** Label keys tried for a bare word, in order (config `labelKeys`); default: the resolver's. */
  labelKeys?: readonly string[];
  /** What `dns`, `world` and `cluster` mean here (config `dns`, `clusterCidrs`); default: the builder's. */
  keywords?: KeywordOptions;
  /** Recorded on every policy (the bot's draft id, requester, cluster); none on the command line. */
  provenance?: Provenance;
  /** How this caller supplies the cluster state, for refusing a question asked without it. */
  stateHint?: string;
}

export type RequestPlan =
  /** `help [topic]` typed as a request: the caller shows the grammar. */
  | { kind: 'help'; topic: string | undefined }
  | {
      kind: 'answer';
      request: QueryRequest;
      /** The canonical form of what was understood. */
      command: string;
      /** How names were resolved ("frontend nginx -> app=nginx (Deployment frontend/nginx)"). */
      notes: string[];
      /** The evaluator's answer as text (verdicts and reasons, or the pods on the other side). */
      answer: string;
    }
  | {
      kind: 'policies';
      request: PolicyRequest;
      command: string;
      notes: string[];
      policies: NetworkPolicy[];
      /** Empty without a cluster state: warnings compare the cluster before and after. */
      warnings: Warning[];
    };

export function planRequest(
  text: string | Request,
  state: ClusterState | undefined,
  options: PlanRequestOptions = {},
): RequestPlan {
  const parsed = typeof text === 'string' ? parseRequest(text) : text;
  if (parsed.verb === 'help') return { kind: 'help', topic: parsed.topic };
  if (isQueryRequest(parsed) && state === undefined) {
    throw new NetpolError(
      'E_USAGE',
      'a question about reachability needs the cluster state',
      options.stateHint === undefined ? {} : { hint: options.stateHint },
    );
  }
  const { request, notes } = resolveRequest(parsed, {
    ...(state === undefined ? {} : { state }),
    ...(options.labelKeys === undefined ? {} : { labelKeys: options.labelKeys }),
  });
  const command = formatRequest(request);
  if (isQueryRequest(request) && state !== undefined) {
    return {
      kind: 'answer',
      request,
      command,
      notes,
      answer: answerWith(request, state),
    };
  }
  if (!isPolicyRequest(request)) throw new NetpolError('E_SYNTAX', 'not a policy request or a question');
  const policies = buildPolicies(request, {
    command,
    ...(options.provenance === undefined ? {} : { provenance: options.provenance }),
    ...(options.keywords === undefined ? {} : { keywords: options.keywords }),
    ...(state === undefined ? {} : { state }),
  });
  const warnings =
    state === undefined ? [] : stateModules().warnings.computeWarnings(request, policies, state);
  return { kind: 'policies', request, command, notes, policies, warnings };
}

function answerWith(request: QueryRequest, state: ClusterState): string {
  const { evaluator, answers } = stateModules();
  return answers.answerQuery(request, state, evaluator.buildPolicyIndex(state));
}

/**
 * What only planning against a cluster state needs (the evaluator, the warnings, the answers),
 * loaded on first use: planning without a state (`netpol parse` with no --state) never loads the
 * evaluator's modules, about a quarter of what `netpol parse` adds to node's own start (issue 8).
 */
function stateModules() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return {
    evaluator: require('../evaluator') as typeof EvaluatorModule,
    warnings: require('../policy/warnings') as typeof WarningsModule,
    answers: require('../query/answer-query') as typeof AnswerQueryModule,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

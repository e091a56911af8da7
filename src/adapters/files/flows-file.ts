/**
 * Reads an observed-flows file (src/contracts/observed-flows.ts, ObservedFlowsFile as JSON), for
 * `netpol graph --flows FILE` (and any other command that takes one). Every problem is E_FLOWS with
 * the file's name and, for a bad entry, its index and the field (`entry 3 (flows[3].source.kind)`),
 * so a person can find it in a file of thousands. The shape is checked with zod (a dependency
 * already), built on first use.
 */
import { z } from 'zod';
import { NetpolError } from '../../core/errors';
import {
  OBSERVED_FLOWS_VERSION,
  type ObservedFlow,
  type ObservedFlowsFile,
} from '../../contracts/observed-flows';
import { readInputFile } from './read-input-file';

let schema: z.ZodType<ObservedFlowsFile> | undefined;

function flowsSchema(): z.ZodType<ObservedFlowsFile> {
  const label = z.record(z.string(), z.string());
  const peer = z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('workload'),
      namespace: z.string().min(1),
      name: z.string().min(1),
      selector: label,
    }),
    z.object({ kind: z.literal('address'), address: z.string().min(1), name: z.string().optional() }),
  ]);
  const flow = z.object({
    source: peer,
    destination: peer,
    protocol: z.enum(['TCP', 'UDP', 'SCTP']),
    port: z.number().int().min(1).max(65535),
    verdict: z.enum(['allowed', 'blocked', 'would-block']),
    auditPolicies: z.array(z.string()).optional(),
    nodes: z.array(z.string()).optional(),
    nodeCount: z.number().int().min(0).optional(),
    count: z.number().int().min(0),
    firstSeen: z.string(),
    lastSeen: z.string(),
  }) satisfies z.ZodType<ObservedFlow>;
  return z.object({
    v: z.literal(OBSERVED_FLOWS_VERSION),
    cluster: z.string().optional(),
    flows: z.array(flow),
  }) as z.ZodType<ObservedFlowsFile>;
}

/** `flows[3].source.kind` */
function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/** The file's flows, checked; `path` is only named in messages. */
export function parseFlowsFile(text: string, path: string): ObservedFlowsFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new NetpolError('E_FLOWS', `flows file ${path} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const result = (schema ??= flowsSchema()).safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = pathText(issue.path);
  const entry =
    issue.path[0] === 'flows' && typeof issue.path[1] === 'number' ? `entry ${issue.path[1]} ` : '';
  const hint =
    issue.path[0] === 'v'
      ? `this netpol reads version ${OBSERVED_FLOWS_VERSION}: {"v": ${OBSERVED_FLOWS_VERSION}, "flows": [...]}`
      : 'the shape is ObservedFlowsFile (src/contracts/observed-flows.ts)';
  throw new NetpolError(
    'E_FLOWS',
    `flows file ${path}: ${entry}(${where === '' ? 'the file' : where}): ${issue.message}`,
    { hint },
  );
}

export async function loadFlowsFile(path: string): Promise<ObservedFlowsFile> {
  return parseFlowsFile(await readInputFile(path, 'E_FLOWS', 'flows file'), path);
}

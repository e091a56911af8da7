/**
 * The observed flows an audit report reads (issue 10): those of the namespaces of the request's
 * audit policies, where the flow store indexes every flow that names them (a flow is indexed under
 * the namespace of each of its ends, and an audit policy judges the pods of its own namespace).
 * Shared by the scheduling (the baseline) and the report, so both read the same flows.
 */
import type { ObservedFlow } from '../../contracts/observed-flows';
import type { RequestRecord } from '../../contracts/request-record';
import type { FlowStore } from '../../adapters/redis/flow-store';
import { auditPoliciesOf } from './audit-window';

export async function auditFlowsOf(
  flows: Pick<FlowStore, 'list'>,
  record: Pick<RequestRecord, 'action' | 'policies' | 'cluster'>,
  now: Date,
): Promise<ObservedFlow[]> {
  const namespaces = [...new Set(auditPoliciesOf(record).map((p) => p.metadata.namespace))];
  const lists = await Promise.all(namespaces.map((ns) => flows.list(record.cluster, ns, now)));
  return lists.flat();
}

/**
 * The rule sets the dataplane bench compares, one description rendered three ways: our programs'
 * rules (peer identity, protocol, port), an iptables chain matched linearly, and an ipset
 * (hash:net,port) behind one iptables rule. N rules are N-k that never match the test flow
 * (other peers, other ports) and, last, k that do (one a test port): the lookup path is the real
 * one, and for iptables the matching rules sit at the end of the chain (its worst case, and the
 * usual case once a chain grows: a new peer is appended).
 *
 * The firewall lives only in the node namespace it is given (`ip netns exec`): the root
 * namespace's firewall is never touched, and deleting the namespace deletes the rules and sets.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { PolicyRule } from '../src/adapters/bpf/bpf-dataplane';

const run = promisify(execFile);

export interface RulePeer {
  /** Our identity for the peer. */
  readonly identity: number;
  /** The peer's address, for iptables and ipset. */
  readonly address: string;
}

export interface BenchRule extends RulePeer {
  readonly port: number;
}

/** `count` TCP rules: count - allowed.ports.length that do not match, then the matching ones. */
export function benchRules(count: number, client: RulePeer, ports: readonly number[]): BenchRule[] {
  if (count < ports.length) throw new RangeError(`${count} rules cannot hold ${ports.length} matching ones`);
  const others = Array.from({ length: count - ports.length }, (_, index): BenchRule => ({
    identity: 1_000 + index,
    address: `10.200.${index >> 8}.${index & 255}`,
    port: 1_000 + (index % 50_000),
  }));
  return [...others, ...ports.map((port) => ({ ...client, port }))];
}

export function asPolicyRules(rules: readonly BenchRule[]): PolicyRule[] {
  return rules.map((rule) => ({ identity: rule.identity, protocol: 'TCP', port: rule.port }));
}

const CHAIN = 'NP-BENCH-IN';
const SET = 'np-bench-in';

async function restore(netns: string, command: string[], input: string): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', netns, ...command], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.stdin.end(input);
  const code = await exited;
  if (code !== 0) throw new Error(`${command.join(' ')} in ${netns} failed (${code}): ${stderr}`);
}

function filterTable(lines: readonly string[]): string {
  return [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...lines,
    'COMMIT',
    '',
  ].join('\n');
}

/** Established first (as our conntrack), then the chain of N rules toward the pod, then DROP. */
export async function applyIptables(
  netns: string,
  hostIf: string,
  rules: readonly BenchRule[],
): Promise<void> {
  await clearFirewall(netns);
  await restore(
    netns,
    ['iptables-restore'],
    filterTable([
      `:${CHAIN} - [0:0]`,
      `-A FORWARD -o ${hostIf} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
      `-A FORWARD -o ${hostIf} -j ${CHAIN}`,
      ...rules.map(
        (rule) => `-A ${CHAIN} -s ${rule.address}/32 -p tcp -m tcp --dport ${rule.port} -j ACCEPT`,
      ),
      `-A ${CHAIN} -j DROP`,
    ]),
  );
}

/** Established first, then one rule over a hash:net,port set of the N (address, port) pairs. */
export async function applyIpset(netns: string, hostIf: string, rules: readonly BenchRule[]): Promise<void> {
  await clearFirewall(netns);
  const maxelem = Math.max(65_536, rules.length * 2);
  await restore(
    netns,
    ['ipset', 'restore'],
    [
      `create ${SET} hash:net,port family inet hashsize 16384 maxelem ${maxelem}`,
      ...rules.map((rule) => `add ${SET} ${rule.address},tcp:${rule.port}`),
      '',
    ].join('\n'),
  );
  await restore(
    netns,
    ['iptables-restore'],
    filterTable([
      `-A FORWARD -o ${hostIf} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
      `-A FORWARD -o ${hostIf} -m set --match-set ${SET} src,dst -j ACCEPT`,
      `-A FORWARD -o ${hostIf} -j DROP`,
    ]),
  );
}

/** Empties the namespace's filter table (user chains included), then drops our set. */
export async function clearFirewall(netns: string): Promise<void> {
  await restore(netns, ['iptables-restore'], filterTable([]));
  await run('ip', ['netns', 'exec', netns, 'ipset', 'destroy', SET]).catch(() => undefined);
}

/**
 * Finds a local pod's host-side veth the way the routed-veth CNIs (the EKS VPC CNI, Calico) lay it
 * out: the node routes the pod's address to that link (`ip -j route get <podIP>`), then reads the
 * link's ifindex. Runs `ip` in the node's network namespace (`-n <name>`) when the agent is not in
 * it; never changes anything. A pod whose route goes through no link of its own (a gateway, the
 * loopback) is reported as not found rather than guessed at.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface HostVeth {
  readonly ifname: string;
  readonly ifindex: number;
}

/** Looks a pod's host veth up; null while the node has no direct route to it. */
export type FindHostVeth = (podIp: string) => Promise<HostVeth | null>;

async function ipJson(netns: string, args: readonly string[]): Promise<unknown> {
  const prefix = netns === '-' ? [] : netns.startsWith('/') ? [] : ['-n', netns];
  const command = netns.startsWith('/') ? 'nsenter' : 'ip';
  const fullArgs = netns.startsWith('/')
    ? [`--net=${netns}`, 'ip', '-j', ...args]
    : [...prefix, '-j', ...args];
  const { stdout } = await run(command, fullArgs);
  return JSON.parse(stdout === '' ? '[]' : stdout) as unknown;
}

export function hostVethFinder(netns: string): FindHostVeth {
  return async (podIp) => {
    let routes: unknown;
    try {
      routes = await ipJson(netns, ['route', 'get', podIp]);
    } catch {
      return null;
    }
    const route = (routes as { dev?: string; gateway?: string }[])[0];
    if (route?.dev === undefined || route.gateway !== undefined || route.dev === 'lo') return null;
    const links = (await ipJson(netns, ['link', 'show', 'dev', route.dev])) as { ifindex?: number }[];
    const ifindex = links[0]?.ifindex;
    return ifindex === undefined ? null : { ifname: route.dev, ifindex };
  };
}

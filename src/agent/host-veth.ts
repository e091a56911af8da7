/**
 * Finds a local pod's host-side veth the way the routed-veth CNIs (the EKS VPC CNI, Calico) lay it
 * out: the node routes the pod's address to that link (`ip -j route get <podIP>`), then reads the
 * link's ifindex. Runs `ip` in the node's network namespace (`-n <name>`) when the agent is not in
 * it; never changes anything. A pod whose route goes through no link of its own (a gateway, the
 * loopback) or through a link that is not a veth (the bridge of the bridge CNI, shared by every pod
 * on the node: enforcing there would give all of them one endpoint) is reported as not found
 * rather than guessed at.
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

/** `ip -j <args>` in the node's namespace ("-": the agent's own, a name, or a path via nsenter). */
export async function ipJson(netns: string, args: readonly string[]): Promise<unknown> {
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
    const links = (await ipJson(netns, ['-d', 'link', 'show', 'dev', route.dev])) as {
      ifindex?: number;
      linkinfo?: { info_kind?: string };
    }[];
    const link = links[0];
    if (link?.ifindex === undefined || link.linkinfo?.info_kind !== 'veth') return null;
    return { ifname: route.dev, ifindex: link.ifindex };
  };
}

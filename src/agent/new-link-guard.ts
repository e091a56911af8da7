/**
 * Closes a new pod from the moment its host veth exists (issue 9: a new pod is never reachable in
 * violation of policy while its rules are computed).
 *
 * The Enforcer can only attach once it knows the pod's IP and node (the API and the watch) and the
 * node routes that IP to a veth; a CNI creates the veth well before that. So the loader helper
 * subscribes to the node namespace's link notifications itself and attaches both programs to each
 * veth that appears with one of the configured name prefixes, in the same poll loop, before the
 * CNI has given it an address or a route. With no endpoint entry the programs drop everything but
 * the node's own traffic (NO_ENDPOINT); the Enforcer later writes the endpoint (not ready), attaches
 * again (a replace of the same programs) and marks it ready once its rules are in. Done in C rather
 * than from an `ip monitor` child: no process hop or JSON between the notification and the attach.
 *
 * A closed veth that is then enslaved to a bridge (the bridge CNI, Docker's own containers) is not
 * a routed pod veth: the helper releases it, so a cluster the agent does not fit is left open as
 * before rather than blackholed.
 *
 * Veths created while the agent was down: once the first pass has attached every local pod the API
 * knows, closeUnclaimedVeths() closes each watched, unbridged veth with no endpoint entry (a pod the
 * agent has not heard of yet). Until the restarted agent gets there such a pod is open; links named
 * outside the prefixes are never closed early (README, "Which clusters the agent fits").
 */
import type { Logger } from 'pino';
import type { LinkNotice } from '../adapters/bpf/loader-process';
import { ipJson } from './host-veth';

export interface LinkWatching {
  watchLinks(netns: string, prefixes: readonly string[]): Promise<void>;
}

/** Logs what the helper did on its own: an attach, a failed one (the pod stays open), an overrun. */
export function logLinkNotice(log: Logger, notice: LinkNotice): void {
  if (notice.kind === 'attached')
    log.info(
      { ifname: notice.ifname, ifindex: notice.ifindex },
      'new host veth closed until its pod is ready',
    );
  else if (notice.kind === 'failed')
    log.error(
      { ifname: notice.ifname, ifindex: notice.ifindex, code: notice.code },
      'could not close a new host veth: its pod is open until the agent attaches by route',
    );
  else
    log.warn(
      'link notifications overran the socket buffer: the loader re-lists the links and closes the new veths it missed',
    );
}

/** Starts the watch when the dataplane can and prefixes are configured; resolves once subscribed. */
export async function guardNewLinks(
  dataplane: Partial<LinkWatching>,
  netns: string,
  prefixes: readonly string[],
  log: Logger,
): Promise<boolean> {
  if (prefixes.length === 0 || dataplane.watchLinks === undefined) return false;
  await dataplane.watchLinks(netns, prefixes);
  log.info({ netns, prefixes }, 'new host veths are closed as they appear');
  return true;
}

export interface UnclaimedVethOptions {
  readonly netns: string;
  readonly prefixes: readonly string[];
  /** The ifindexes with an endpoint entry (claimed by a local pod). */
  readonly claimed: () => Promise<readonly number[]>;
  readonly attach: (netns: string, ifname: string) => Promise<number>;
  readonly log: Logger;
}

/** Closes the watched veths no pod has claimed; returns their names. */
export async function closeUnclaimedVeths(options: UnclaimedVethOptions): Promise<string[]> {
  if (options.prefixes.length === 0) return [];
  const links = (await ipJson(options.netns, ['-d', 'link', 'show', 'type', 'veth'])) as {
    ifindex: number;
    ifname: string;
    master?: string;
  }[];
  const claimed = new Set(await options.claimed());
  const closed: string[] = [];
  for (const link of links) {
    if (link.master !== undefined || claimed.has(link.ifindex)) continue;
    if (!options.prefixes.some((prefix) => link.ifname.startsWith(prefix))) continue;
    try {
      await options.attach(options.netns, link.ifname);
      closed.push(link.ifname);
    } catch (err) {
      // Gone meanwhile, or tc refused: that pod stays as it was; the agent's own pass goes on.
      options.log.warn(
        { err, ifname: link.ifname },
        'could not close a veth that appeared while the agent was down',
      );
    }
  }
  if (closed.length > 0)
    options.log.info(
      { veths: closed },
      'veths that appeared while the agent was down closed until their pods are ready',
    );
  return closed;
}

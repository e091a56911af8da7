/**
 * Expected connectivity, stated the way Kubernetes' netpol e2e suite states it
 * (test/e2e/network/netpol/reachability.go): start every pair at a default, then carve out peers.
 *
 * It knows nothing about NetworkPolicy on purpose: an expectation derived from an evaluator would
 * only test the evaluator against itself. Upstream ignores loopback when comparing (CNIs disagree on
 * it); netpol models a pod reaching itself as always allowed, so `matrix()` reports every self cell
 * as allowed whatever a case set there.
 */

/** Matches pods by namespace and/or name; an absent field matches every value. */
export interface Peer {
  namespace?: string;
  pod?: string;
}

export type Matrix = Record<string, Record<string, boolean>>;

export class Reachability {
  private readonly index = new Map<string, number>();
  private readonly cells: boolean[][];

  constructor(
    readonly pods: readonly string[],
    defaultExpectation: boolean,
  ) {
    pods.forEach((pod, i) => this.index.set(pod, i));
    this.cells = pods.map(() => pods.map(() => defaultExpectation));
  }

  /** One pair, from `from` ("ns/pod") to `to`. */
  expect(from: string, to: string, connected: boolean): this {
    this.row(from)[this.col(to)] = connected;
    return this;
  }

  /** Every pair whose source matches `from` and whose destination matches `to`. */
  expectPeer(from: Peer, to: Peer, connected: boolean): this {
    for (const src of this.pods) {
      if (!peerMatches(from, src)) continue;
      for (const dst of this.pods) {
        if (peerMatches(to, dst)) this.expect(src, dst, connected);
      }
    }
    return this;
  }

  /** Every connection into `pod`. */
  expectAllIngress(pod: string, connected: boolean): this {
    const col = this.col(pod);
    for (const row of this.cells) row[col] = connected;
    return this;
  }

  /** Every connection out of `pod`. */
  expectAllEgress(pod: string, connected: boolean): this {
    this.row(pod).fill(connected);
    return this;
  }

  /** Every connection into the pods of `namespace`. */
  expectTo(namespace: string, connected: boolean): this {
    return this.expectPeer({}, { namespace }, connected);
  }

  /** Every connection out of the pods of `namespace`. */
  expectFrom(namespace: string, connected: boolean): this {
    return this.expectPeer({ namespace }, {}, connected);
  }

  /** The expectation for one pair, loopback included (always allowed). */
  get(from: string, to: string): boolean {
    if (from === to) {
      this.col(to);
      return true;
    }
    return this.row(from)[this.col(to)] as boolean;
  }

  /** from -> to -> allowed, self included. */
  matrix(): Matrix {
    const out: Matrix = {};
    for (const from of this.pods) {
      const row: Record<string, boolean> = {};
      for (const to of this.pods) row[to] = this.get(from, to);
      out[from] = row;
    }
    return out;
  }

  private row(pod: string): boolean[] {
    const i = this.index.get(pod);
    if (i === undefined) throw new Error(`unknown pod ${pod} in reachability expectation`);
    return this.cells[i] as boolean[];
  }

  private col(pod: string): number {
    const i = this.index.get(pod);
    if (i === undefined) throw new Error(`unknown pod ${pod} in reachability expectation`);
    return i;
  }
}

function peerMatches(peer: Peer, pod: string): boolean {
  const [namespace, name] = pod.split('/');
  return (
    (peer.namespace === undefined || peer.namespace === namespace) &&
    (peer.pod === undefined || peer.pod === name)
  );
}

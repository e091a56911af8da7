/**
 * Numeric identities for the ipcache: one per pod ("ns/name") and one per ipBlock prefix of the
 * refinement (canonical CIDR text), never shared, never reused while held. Per pod rather than per
 * set of selector-relevant labels (Cilium's choice): a pod's identity then never changes when its
 * labels or the policies do, so a label edit costs rule swaps only and never an ipcache rewrite or
 * a window where an address maps to an identity whose meaning is changing; the price is one rule
 * entry per peer pod instead of per label set, which the LPM trie keeps at one lookup.
 *
 * A restarted agent seeds the allocator with what the pinned ipcache holds (adopt), so the pods and
 * prefixes keep the identities the rules in the maps already name. Single-threaded; no I/O.
 */
import { IDENTITY } from '../adapters/bpf/abi';

export class IdentityAllocator {
  private readonly byName = new Map<string, number>();
  private readonly inUse = new Set<number>();
  private next: number = IDENTITY.FIRST_DYNAMIC;

  /** The identity of `name`, allocating one when it has none. */
  identityOf(name: string): number {
    let identity = this.byName.get(name);
    if (identity === undefined) {
      while (this.inUse.has(this.next)) this.next++;
      identity = this.next++;
      this.byName.set(name, identity);
      this.inUse.add(identity);
    }
    return identity;
  }

  peek(name: string): number | undefined {
    return this.byName.get(name);
  }

  /** Gives `name` the identity it had before a restart (ignored when taken or not dynamic). */
  adopt(name: string, identity: number): void {
    if (identity < IDENTITY.FIRST_DYNAMIC || this.inUse.has(identity) || this.byName.has(name)) return;
    this.byName.set(name, identity);
    this.inUse.add(identity);
  }

  release(name: string): void {
    const identity = this.byName.get(name);
    if (identity === undefined) return;
    this.byName.delete(name);
    this.inUse.delete(identity);
  }

  get size(): number {
    return this.byName.size;
  }
}

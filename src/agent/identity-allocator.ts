/**
 * Numeric identities for the ipcache: one per class of pods (the Enforcer names them
 * "class:<key>", see enforcer.ts) and one per ipBlock prefix of the refinement ("cidr:<prefix>"),
 * never shared, never reused while held. Per class rather than per pod (Cilium's choice, made
 * exact): a rule lists the classes its selectors hold, so a pod of an existing class coming or
 * going elsewhere writes its address and no rule; the price is that a pod changing class (a
 * relabel a selector reads) moves its address to another identity, after the rules naming that
 * class exist.
 *
 * A restarted agent seeds the allocator with what the pinned ipcache holds (adopt), so classes and
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

  /**
   * Gives `name` the identity it had before a restart; false (and nothing changes) when the
   * identity is taken, not dynamic, or `name` already has one.
   */
  adopt(name: string, identity: number): boolean {
    if (identity < IDENTITY.FIRST_DYNAMIC || this.inUse.has(identity) || this.byName.has(name)) return false;
    this.byName.set(name, identity);
    this.inUse.add(identity);
    return true;
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

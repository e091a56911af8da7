/**
 * A set of pod keys that also hands out its members sorted, cheaply after small changes: the
 * sorted list is kept with the additions and removals since it was made, and merged in (O(n + k
 * log k)) when it is next read, instead of sorting the whole set again. LiveIndex keeps one per
 * selector and per named port, so recompiling a side costs its rules, not the size of its peers.
 *
 * A list handed out is never changed afterwards (a merge makes a new one): callers may keep it,
 * and must not modify it. Single-threaded.
 */
export class SortedKeys implements Iterable<string> {
  private readonly all = new Set<string>();
  /** Sorted members as of the last read, or undefined when it is cheaper to sort again. */
  private list: readonly string[] | undefined = EMPTY;
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();
  /** Bumped on every change: a cache over several sets compares versions. */
  version = 0;

  get size(): number {
    return this.all.size;
  }

  has(key: string): boolean {
    return this.all.has(key);
  }

  add(key: string): boolean {
    if (this.all.has(key)) return false;
    this.all.add(key);
    this.version++;
    if (this.list !== undefined) {
      if (!this.removed.delete(key)) this.added.add(key);
      this.dropWhenStale();
    }
    return true;
  }

  delete(key: string): boolean {
    if (!this.all.delete(key)) return false;
    this.version++;
    if (this.list !== undefined) {
      if (!this.added.delete(key)) this.removed.add(key);
      this.dropWhenStale();
    }
    return true;
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.all.values();
  }

  values(): IterableIterator<string> {
    return this.all.values();
  }

  /** The members, sorted (code unit order, like Array.prototype.sort). Shared: do not modify. */
  sorted(): readonly string[] {
    if (this.list === undefined) {
      this.list = [...this.all].sort();
    } else if (this.added.size > 0 || this.removed.size > 0) {
      const kept = this.removed.size > 0 ? this.list.filter((k) => !this.removed.has(k)) : this.list;
      this.list = this.added.size > 0 ? mergeSorted(kept, [...this.added].sort()) : kept;
      this.added.clear();
      this.removed.clear();
    }
    return this.list;
  }

  /** Bulk changes (a new selector, a relabelled namespace): sorting again beats merging. */
  private dropWhenStale(): void {
    if (this.added.size + this.removed.size > 64 + this.all.size / 2) {
      this.list = undefined;
      this.added.clear();
      this.removed.clear();
    }
  }
}

const EMPTY: readonly string[] = [];

/** The sorted union of two sorted lists (without repeats). */
export function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) {
      out.push(x);
      i++;
    } else if (y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

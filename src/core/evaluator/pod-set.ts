/**
 * Sets of pods over a PolicyIndex's pod numbering (pods sorted by "ns/name"). Every selector, peer
 * and matrix row in the evaluator is one of these. A set is stored in whichever form is smaller: a
 * sorted Uint32Array of members while it is sparse (a selector matching 20 pods of a 30,000-pod
 * cluster costs 80 bytes, not 3.75 KB), a bitset once it holds at least capacity/32 pods (where
 * unions and intersections cost capacity/32 word operations). The form never changes an answer.
 *
 * A PodSet is immutable once built: PodSetBuilder collects members, build() hands them over.
 * Sets from one index share its capacity; mixing indexes is a bug and throws.
 */

export class PodSet {
  /** Use PodSet.empty/full/of or a PodSetBuilder. Exactly one of `bits` and `sorted` is set. */
  private constructor(
    readonly capacity: number,
    private readonly bits: Uint32Array | undefined,
    private readonly sorted: Uint32Array | undefined,
  ) {}

  /** @internal For PodSetBuilder: a bitset whose bits past `capacity` are clear. */
  static fromWords(capacity: number, bits: Uint32Array): PodSet {
    return new PodSet(capacity, bits, undefined);
  }

  /** @internal For PodSetBuilder: strictly ascending members, each below `capacity`. */
  static fromSorted(capacity: number, sorted: Uint32Array): PodSet {
    return new PodSet(capacity, undefined, sorted);
  }

  static empty(capacity: number): PodSet {
    return new PodSet(capacity, undefined, new Uint32Array(0));
  }

  static full(capacity: number): PodSet {
    return new PodSetBuilder(capacity).fill().build();
  }

  static of(capacity: number, indices: Iterable<number>): PodSet {
    const b = new PodSetBuilder(capacity);
    for (const i of indices) b.add(i);
    return b.build();
  }

  has(index: number): boolean {
    if (this.bits !== undefined) return ((this.bits[index >>> 5]! >>> (index & 31)) & 1) === 1;
    const s = this.sorted!;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = s[mid]!;
      if (v === index) return true;
      if (v < index) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  count(): number {
    if (this.sorted !== undefined) return this.sorted.length;
    let n = 0;
    for (const w of this.bits!) n += popcount(w);
    return n;
  }

  isEmpty(): boolean {
    if (this.sorted !== undefined) return this.sorted.length === 0;
    return this.bits!.every((w) => w === 0);
  }

  /** Member indices, ascending (so in "ns/name" order). */
  indices(): number[] {
    if (this.sorted !== undefined) return Array.from(this.sorted);
    const out: number[] = [];
    forEachBit(this.bits!, (i) => out.push(i));
    return out;
  }

  /** Calls `visit` with each member, ascending, without allocating a list. */
  forEach(visit: (index: number) => void): void {
    if (this.sorted !== undefined) for (const i of this.sorted) visit(i);
    else forEachBit(this.bits!, visit);
  }

  union(other: PodSet): PodSet {
    return new PodSetBuilder(this.capacity).addAll(this).addAll(other).build();
  }

  intersect(other: PodSet): PodSet {
    return new PodSetBuilder(this.capacity).addIntersection(this, other).build();
  }

  equals(other: PodSet): boolean {
    if (this.capacity !== other.capacity) return false;
    if (this.sorted !== undefined && other.sorted !== undefined) {
      const a = this.sorted;
      const b = other.sorted;
      return a.length === b.length && a.every((v, i) => v === b[i]);
    }
    const a = this.toWords();
    const b = other.wordsView();
    return a.every((w, i) => w === b[i]);
  }

  /** A copy of the words (bit i of word i>>5 is pod i), e.g. to hand to a kernel map. */
  toWords(): Uint32Array {
    if (this.bits !== undefined) return this.bits.slice();
    const words = new Uint32Array(wordCount(this.capacity));
    for (const i of this.sorted!) words[i >>> 5] = (words[i >>> 5]! | (1 << (i & 31))) >>> 0;
    return words;
  }

  /** Read-only by contract: the words themselves when dense, a fresh copy when sparse. */
  wordsView(): Uint32Array {
    return this.bits ?? this.toWords();
  }

  /** @internal Read-only by contract: the sorted members when sparse, else undefined. */
  sparseView(): Uint32Array | undefined {
    return this.sorted;
  }
}

/**
 * Collects members as a list while few, as a bitset once many; build() picks the smaller form.
 * One builder builds one set.
 */
export class PodSetBuilder {
  private bits: Uint32Array | undefined;
  private list: number[] | undefined = [];
  private done = false;

  constructor(readonly capacity: number) {}

  add(index: number): this {
    if (index < 0 || index >= this.capacity || !Number.isInteger(index)) {
      throw new RangeError(`pod index ${index} out of range`);
    }
    this.live();
    if (this.list !== undefined) {
      this.list.push(index);
      if (this.list.length > this.denseAt() * 2) this.densify();
    } else {
      setBit(this.bits!, index);
    }
    return this;
  }

  fill(): this {
    this.live();
    const bits = this.densify();
    bits.fill(0xffffffff);
    const rest = this.capacity & 31;
    // Keep bits past the last pod clear so that count() and equals() stay exact.
    if (rest !== 0) bits[bits.length - 1] = (0xffffffff >>> (32 - rest)) >>> 0;
    return this;
  }

  addAll(set: PodSet): this {
    this.live();
    this.check(set);
    const sparse = set.sparseView();
    if (sparse !== undefined) {
      if (this.list !== undefined) {
        for (const i of sparse) this.list.push(i);
        if (this.list.length > this.denseAt() * 2) this.densify();
      } else {
        for (const i of sparse) setBit(this.bits!, i);
      }
      return this;
    }
    const bits = this.densify();
    const src = set.wordsView();
    for (let i = 0; i < bits.length; i++) bits[i] = (bits[i]! | src[i]!) >>> 0;
    return this;
  }

  /** Adds a ∩ b without allocating it. */
  addIntersection(a: PodSet, b: PodSet): this {
    this.live();
    this.check(a);
    this.check(b);
    const sa = a.sparseView();
    const sb = b.sparseView();
    if (sa !== undefined || sb !== undefined) {
      const [small, other] =
        sa !== undefined && (sb === undefined || sa.length <= sb.length) ? [sa, b] : [sb!, a];
      for (const i of small) if (other.has(i)) this.add(i);
      return this;
    }
    const bits = this.densify();
    const wa = a.wordsView();
    const wb = b.wordsView();
    for (let i = 0; i < bits.length; i++) bits[i] = (bits[i]! | (wa[i]! & wb[i]!)) >>> 0;
    return this;
  }

  build(): PodSet {
    this.live();
    this.done = true;
    if (this.list !== undefined) {
      const list = this.list;
      this.list = undefined;
      const sorted = sortedUnique(list);
      if (sorted.length < this.denseAt()) return PodSet.fromSorted(this.capacity, sorted);
      const bits = new Uint32Array(wordCount(this.capacity));
      for (const i of sorted) setBit(bits, i);
      return PodSet.fromWords(this.capacity, bits);
    }
    const bits = this.bits!;
    this.bits = undefined;
    let n = 0;
    for (const w of bits) n += popcount(w);
    if (n >= this.denseAt()) return PodSet.fromWords(this.capacity, bits);
    const sorted = new Uint32Array(n);
    let k = 0;
    forEachBit(bits, (i) => (sorted[k++] = i));
    return PodSet.fromSorted(this.capacity, sorted);
  }

  /** The member count from which a bitset is no larger than the sorted list. */
  private denseAt(): number {
    return Math.max(1, wordCount(this.capacity));
  }

  private densify(): Uint32Array {
    if (this.bits === undefined) {
      const bits = new Uint32Array(wordCount(this.capacity));
      for (const i of this.list!) setBit(bits, i);
      this.bits = bits;
      this.list = undefined;
    }
    return this.bits;
  }

  private live(): void {
    if (this.done) throw new Error('PodSetBuilder used after build()');
  }

  private check(set: PodSet): void {
    if (set.capacity !== this.capacity) throw new RangeError('pod sets from different indexes');
  }
}

function sortedUnique(list: number[]): Uint32Array {
  const arr = Uint32Array.from(list).sort();
  let k = 0;
  for (let i = 0; i < arr.length; i++) if (k === 0 || arr[i] !== arr[k - 1]) arr[k++] = arr[i]!;
  return k === arr.length ? arr : arr.slice(0, k);
}

function setBit(bits: Uint32Array, index: number): void {
  bits[index >>> 5] = (bits[index >>> 5]! | (1 << (index & 31))) >>> 0;
}

function forEachBit(bits: Uint32Array, visit: (index: number) => void): void {
  for (let wi = 0; wi < bits.length; wi++) {
    let w = bits[wi]!;
    while (w !== 0) {
      const low = w & -w;
      visit(wi * 32 + (31 - Math.clz32(low)));
      w = (w ^ low) >>> 0;
    }
  }
}

function wordCount(capacity: number): number {
  return Math.ceil(capacity / 32);
}

function popcount(w: number): number {
  let v = w - ((w >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

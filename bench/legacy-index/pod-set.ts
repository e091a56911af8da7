/**
 * Sets of pods as bitsets over a PolicyIndex's pod numbering (pods sorted by "ns/name"). Every
 * selector, peer and matrix row in the evaluator is one of these, so unions and intersections
 * cost capacity/32 word operations instead of pairwise expansion.
 *
 * A PodSet is immutable once built: PodSetBuilder fills the words, build() hands them over.
 * Sets from one index share its capacity; mixing indexes is a bug and throws.
 */

export class PodSet {
  /** Use PodSet.empty/full/of or a PodSetBuilder. */
  constructor(
    readonly capacity: number,
    private readonly bits: Uint32Array,
  ) {}

  static empty(capacity: number): PodSet {
    return new PodSet(capacity, new Uint32Array(wordCount(capacity)));
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
    return ((this.bits[index >>> 5]! >>> (index & 31)) & 1) === 1;
  }

  count(): number {
    let n = 0;
    for (const w of this.bits) n += popcount(w);
    return n;
  }

  isEmpty(): boolean {
    return this.bits.every((w) => w === 0);
  }

  /** Member indices, ascending (so in "ns/name" order). */
  indices(): number[] {
    const out: number[] = [];
    for (let wi = 0; wi < this.bits.length; wi++) {
      let w = this.bits[wi]!;
      while (w !== 0) {
        const low = w & -w;
        out.push(wi * 32 + (31 - Math.clz32(low)));
        w = (w ^ low) >>> 0;
      }
    }
    return out;
  }

  union(other: PodSet): PodSet {
    return new PodSetBuilder(this.capacity).addAll(this).addAll(other).build();
  }

  intersect(other: PodSet): PodSet {
    return new PodSetBuilder(this.capacity).addIntersection(this, other).build();
  }

  equals(other: PodSet): boolean {
    return this.capacity === other.capacity && this.bits.every((w, i) => w === other.bits[i]);
  }

  /** A copy of the words (bit i of word i>>5 is pod i), e.g. to hand to a kernel map. */
  toWords(): Uint32Array {
    return this.bits.slice();
  }

  /** Read-only by contract: for PodSetBuilder's bulk operations. */
  wordsView(): Uint32Array {
    return this.bits;
  }
}

export class PodSetBuilder {
  private bits: Uint32Array | undefined;

  constructor(readonly capacity: number) {
    this.bits = new Uint32Array(wordCount(capacity));
  }

  add(index: number): this {
    if (index < 0 || index >= this.capacity) throw new RangeError(`pod index ${index} out of range`);
    const bits = this.live();
    bits[index >>> 5] = (bits[index >>> 5]! | (1 << (index & 31))) >>> 0;
    return this;
  }

  fill(): this {
    const bits = this.live();
    bits.fill(0xffffffff);
    const rest = this.capacity & 31;
    // Keep bits past the last pod clear so that count() and equals() stay exact.
    if (rest !== 0) bits[bits.length - 1] = (0xffffffff >>> (32 - rest)) >>> 0;
    return this;
  }

  addAll(set: PodSet): this {
    const bits = this.live();
    const src = this.words(set);
    for (let i = 0; i < bits.length; i++) bits[i] = (bits[i]! | src[i]!) >>> 0;
    return this;
  }

  /** Adds a ∩ b without allocating it. */
  addIntersection(a: PodSet, b: PodSet): this {
    const bits = this.live();
    const wa = this.words(a);
    const wb = this.words(b);
    for (let i = 0; i < bits.length; i++) bits[i] = (bits[i]! | (wa[i]! & wb[i]!)) >>> 0;
    return this;
  }

  build(): PodSet {
    const bits = this.live();
    this.bits = undefined;
    return new PodSet(this.capacity, bits);
  }

  private live(): Uint32Array {
    if (this.bits === undefined) throw new Error('PodSetBuilder used after build()');
    return this.bits;
  }

  private words(set: PodSet): Uint32Array {
    if (set.capacity !== this.capacity) throw new RangeError('pod sets from different indexes');
    return set.wordsView();
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

import { PodSet, PodSetBuilder } from './pod-set';

describe('PodSet', () => {
  it('holds indices across word boundaries and lists them ascending', () => {
    const s = PodSet.of(70, [69, 0, 31, 32, 33, 31]);
    expect(s.indices()).toEqual([0, 31, 32, 33, 69]);
    expect(s.count()).toBe(5);
    expect([s.has(31), s.has(30), s.has(69), s.has(68)]).toEqual([true, false, true, false]);
  });

  it('keeps the full set exact past the last pod', () => {
    for (const n of [0, 1, 31, 32, 33, 64, 65]) {
      const full = PodSet.full(n);
      expect(full.count()).toBe(n);
      expect(full.has(n)).toBe(false);
      expect(
        full.equals(
          PodSet.of(
            n,
            Array.from({ length: n }, (_, i) => i),
          ),
        ),
      ).toBe(true);
    }
    expect(PodSet.empty(40).isEmpty()).toBe(true);
  });

  it('unions and intersects without touching its operands', () => {
    const a = PodSet.of(40, [1, 2, 35]);
    const b = PodSet.of(40, [2, 3, 35, 39]);
    expect(a.union(b).indices()).toEqual([1, 2, 3, 35, 39]);
    expect(a.intersect(b).indices()).toEqual([2, 35]);
    expect(new PodSetBuilder(40).addIntersection(a, b).add(0).build().indices()).toEqual([0, 2, 35]);
    expect(a.indices()).toEqual([1, 2, 35]);
  });

  it('refuses sets of other indexes, out-of-range pods and reuse after build', () => {
    expect(() => PodSet.of(40, [1]).union(PodSet.of(41, [1]))).toThrow(RangeError);
    expect(() => PodSet.of(4, [4])).toThrow(RangeError);
    const b = new PodSetBuilder(4);
    b.build();
    expect(() => b.add(1)).toThrow('after build');
  });

  it('hands out copies of its words', () => {
    const s = PodSet.of(33, [0, 32]);
    const words = s.toWords();
    expect([...words]).toEqual([1, 1]);
    words[0] = 0;
    expect(s.has(0)).toBe(true);
  });

  it('answers the same whether a set is stored sparse or dense', () => {
    const capacity = 1000;
    const few = [3, 500, 999];
    const many = Array.from({ length: 200 }, (_, i) => i * 5);
    const sparse = PodSet.of(capacity, few);
    const dense = PodSet.of(capacity, many);
    expect(
      sparse.equals(
        dense.intersect(PodSet.of(capacity, [...few, 5])).union(PodSet.of(capacity, [3, 999, 500])),
      ),
    ).toBe(false);
    expect(sparse.union(dense).indices()).toEqual([...new Set([...many, ...few])].sort((a, b) => a - b));
    expect(dense.intersect(sparse).indices()).toEqual([500]);
    expect(PodSet.of(capacity, many).equals(new PodSetBuilder(capacity).addAll(dense).build())).toBe(true);
    expect(sparse.equals(new PodSetBuilder(capacity).fill().build().intersect(sparse))).toBe(true);
    const visited: number[] = [];
    dense.forEach((i) => visited.push(i));
    expect(visited).toEqual(many);
    expect([...sparse.toWords()].filter((w) => w !== 0)).toHaveLength(3);
    expect([sparse.has(500), sparse.has(501), sparse.count(), dense.count()]).toEqual([true, false, 3, 200]);
  });
});

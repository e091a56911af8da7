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
});

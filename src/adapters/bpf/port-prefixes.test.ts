import fc from 'fast-check';
import { portRangeBlocks } from './port-prefixes';

describe('portRangeBlocks', () => {
  test('one port is one full-length block', () => {
    expect(portRangeBlocks(80, 80)).toEqual([{ first: 80, bits: 16 }]);
  });

  test('an aligned range is one block; 8000-8100 splits at alignment boundaries', () => {
    expect(portRangeBlocks(1024, 2047)).toEqual([{ first: 1024, bits: 6 }]);
    expect(portRangeBlocks(8000, 8100)).toEqual([
      { first: 8000, bits: 10 },
      { first: 8064, bits: 11 },
      { first: 8096, bits: 14 },
      { first: 8100, bits: 16 },
    ]);
  });

  test('every port is one block of 0 bits', () => {
    expect(portRangeBlocks(0, 65_535)).toEqual([{ first: 0, bits: 0 }]);
  });

  test('blocks are aligned, disjoint, cover exactly the range, and number at most 30', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65_535 }), fc.integer({ min: 1, max: 65_535 }), (a, b) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        const blocks = portRangeBlocks(start, end);
        expect(blocks.length).toBeLessThanOrEqual(30);
        let next = start;
        for (const { first, bits } of blocks) {
          const size = 2 ** (16 - bits);
          expect(first).toBe(next);
          expect(first % size).toBe(0);
          next = first + size;
        }
        expect(next).toBe(end + 1);
      }),
    );
  });

  test('rejects reversed and out-of-range ranges', () => {
    expect(() => portRangeBlocks(10, 9)).toThrow(RangeError);
    expect(() => portRangeBlocks(1, 65_536)).toThrow(RangeError);
  });
});

import { isRequestId, newRequestId, requestIdFromBytes } from './request-id';

describe('request ids', () => {
  it('encode 80 bits as 16 lower-case base32 characters (RFC 4648 alphabet)', () => {
    expect(requestIdFromBytes(new Uint8Array(10))).toBe('r-aaaaaaaaaaaaaaaa');
    expect(requestIdFromBytes(new Uint8Array(10).fill(0xff))).toBe('r-7777777777777777');
    // RFC 4648 test vector: BASE32("foobar") = "MZXW6YTBOI======".
    const foobar = Buffer.concat([Buffer.from('foobar'), Buffer.alloc(4)]);
    expect(requestIdFromBytes(foobar)).toBe('r-mzxw6ytboiaaaaaa');
  });

  it('refuse any other number of bytes', () => {
    expect(() => requestIdFromBytes(new Uint8Array(9))).toThrow(RangeError);
  });

  it('are fresh every time and safe as label values, button values and key parts', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newRequestId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(isRequestId(id)).toBe(true);
      expect(id).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/); // a Kubernetes label value, and no ':'
      expect(id.length).toBeLessThanOrEqual(63);
    }
  });

  it('are recognised strictly', () => {
    for (const bad of [
      '',
      'r-',
      'r-AAAAAAAAAAAAAAAA',
      'r-aaaaaaaaaaaaaaa1',
      'r-aaaaaaaaaaaaaaaaa',
      'x:r-a',
      42,
    ]) {
      expect(isRequestId(bad)).toBe(false);
    }
  });
});

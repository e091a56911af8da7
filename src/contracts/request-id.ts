/**
 * Request ids: `r-` + 16 lower-case base32 characters (RFC 4648 alphabet, no padding) over 80 random
 * bits. Opaque and unguessable, so a Slack button that carries one grants nothing by itself; and made
 * only of [a-z2-7-], so it is safe as-is in button values, Redis keys and Kubernetes label values.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const ID_BYTES = 10; // 80 bits = 16 base32 characters exactly
const REQUEST_ID = /^r-[a-z2-7]{16}$/;

/** The id for these 10 bytes; newRequestId() feeds it random ones. */
export function requestIdFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== ID_BYTES)
    throw new RangeError(`a request id needs ${ID_BYTES} bytes, got ${bytes.length}`);
  let out = 'r-';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

export function newRequestId(): string {
  return requestIdFromBytes(randomBytes(ID_BYTES));
}

/** True for ids newRequestId() makes: check untrusted input (button values) before using it. */
export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID.test(value);
}

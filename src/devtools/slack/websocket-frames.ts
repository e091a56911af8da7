/**
 * The server side of RFC 6455 framing, as pure functions, for the Socket Mode stand-in: the opening
 * handshake's accept key, a frame encoder (server frames are never masked) and an incremental parser
 * of client frames (which must be masked; continuation frames are reassembled into one message), plus
 * a client-frame encoder for tests that speak raw TCP.
 *
 * Written here rather than taken from `ws`: the stand-in needs only text frames, ping/pong and close,
 * `ws` is only a transitive dependency of @kubernetes/client-node (no types, no pinned version), and
 * owning the few lines lets the tests pin exactly the bytes Slack's client must accept.
 */
import { createHash, randomBytes } from 'node:crypto';

/** RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key before hashing. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const OPCODE = Object.freeze({
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
});

/** Larger client messages are a protocol violation here (Slack acks are a few KB). */
export const MAX_MESSAGE_BYTES = 1 << 20;

export function websocketAccept(secWebSocketKey: string): string {
  return createHash('sha1')
    .update(secWebSocketKey + HANDSHAKE_GUID)
    .digest('base64');
}

/** One unfragmented server frame (FIN set, no mask). */
export function encodeFrame(opcode: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  let header: Buffer;
  if (body.length < 126) {
    header = Buffer.from([0x80 | opcode, body.length]);
  } else if (body.length <= 0xffff) {
    header = Buffer.alloc(4);
    header.writeUInt8(0x80 | opcode, 0);
    header.writeUInt8(126, 1);
    header.writeUInt16BE(body.length, 2);
  } else {
    header = Buffer.alloc(10);
    header.writeUInt8(0x80 | opcode, 0);
    header.writeUInt8(127, 1);
    header.writeBigUInt64BE(BigInt(body.length), 2);
  }
  return Buffer.concat([header, body]);
}

/** A client frame (masked, as RFC 6455 requires of clients): for tests that speak raw TCP. */
export function encodeClientFrame(opcode: number, payload: Buffer | string = '', fin = true): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const unmasked = encodeFrame(opcode, body);
  const header = Buffer.from(unmasked.subarray(0, unmasked.length - body.length));
  header.writeUInt8((fin ? 0x80 : 0) | opcode, 0);
  header.writeUInt8(header.readUInt8(1) | 0x80, 1);
  const mask = randomBytes(4);
  const masked = Buffer.alloc(body.length);
  for (let i = 0; i < body.length; i++) masked.writeUInt8(body.readUInt8(i) ^ mask.readUInt8(i % 4), i);
  return Buffer.concat([header, mask, masked]);
}

/** A close frame's payload: the status code, then a UTF-8 reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const out = Buffer.alloc(2 + Buffer.byteLength(reason));
  out.writeUInt16BE(code, 0);
  out.write(reason, 2, 'utf8');
  return out;
}

/** What the parser hands back: a whole message (text/binary) or a control frame. */
export type ClientFrame =
  | { kind: 'text'; text: string }
  | { kind: 'binary'; data: Buffer }
  | { kind: 'ping'; data: Buffer }
  | { kind: 'pong'; data: Buffer }
  | { kind: 'close'; code?: number; reason: string };

export class WebSocketProtocolError extends Error {
  constructor(
    message: string,
    /** The close code to send (1002 protocol error, 1009 too big). */
    readonly closeCode: number,
  ) {
    super(message);
    this.name = 'WebSocketProtocolError';
  }
}

/**
 * Feed it the bytes of a TCP stream as they come; it returns the complete frames so far and keeps the
 * rest. Throws WebSocketProtocolError on unmasked client frames, bad continuations and oversize data.
 */
export class ClientFrameParser {
  private pending = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentOpcode: number | undefined;

  push(chunk: Buffer): ClientFrame[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const frames: ClientFrame[] = [];
    for (;;) {
      const frame = this.takeFrame();
      if (frame === undefined) return frames;
      const message = this.assemble(frame.fin, frame.opcode, frame.payload);
      if (message !== undefined) frames.push(message);
    }
  }

  private takeFrame(): { fin: boolean; opcode: number; payload: Buffer } | undefined {
    const buf = this.pending;
    if (buf.length < 2) return undefined;
    const first = buf.readUInt8(0);
    const second = buf.readUInt8(1);
    if ((first & 0x70) !== 0) throw new WebSocketProtocolError('reserved bits set', 1002);
    if ((second & 0x80) === 0) throw new WebSocketProtocolError('client frame not masked', 1002);
    let length = second & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (buf.length < 4) return undefined;
      length = buf.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (buf.length < 10) return undefined;
      const long = buf.readBigUInt64BE(2);
      if (long > BigInt(MAX_MESSAGE_BYTES)) throw new WebSocketProtocolError('frame too large', 1009);
      length = Number(long);
      offset = 10;
    }
    if (length > MAX_MESSAGE_BYTES) throw new WebSocketProtocolError('frame too large', 1009);
    if (buf.length < offset + 4 + length) return undefined;
    const mask = buf.subarray(offset, offset + 4);
    const payload = Buffer.from(buf.subarray(offset + 4, offset + 4 + length));
    for (let i = 0; i < payload.length; i++) {
      payload.writeUInt8(payload.readUInt8(i) ^ mask.readUInt8(i % 4), i);
    }
    this.pending = buf.subarray(offset + 4 + length);
    return { fin: (first & 0x80) !== 0, opcode: first & 0x0f, payload };
  }

  private assemble(fin: boolean, opcode: number, payload: Buffer): ClientFrame | undefined {
    if (opcode >= 0x8) {
      if (!fin || payload.length > 125) throw new WebSocketProtocolError('bad control frame', 1002);
      if (opcode === OPCODE.ping) return { kind: 'ping', data: payload };
      if (opcode === OPCODE.pong) return { kind: 'pong', data: payload };
      if (opcode === OPCODE.close) {
        return payload.length >= 2
          ? { kind: 'close', code: payload.readUInt16BE(0), reason: payload.subarray(2).toString('utf8') }
          : { kind: 'close', reason: '' };
      }
      throw new WebSocketProtocolError(`unknown control opcode ${opcode}`, 1002);
    }
    if (opcode === OPCODE.continuation) {
      if (this.fragmentOpcode === undefined) throw new WebSocketProtocolError('stray continuation', 1002);
    } else if (opcode === OPCODE.text || opcode === OPCODE.binary) {
      if (this.fragmentOpcode !== undefined) throw new WebSocketProtocolError('unfinished message', 1002);
      this.fragmentOpcode = opcode;
    } else {
      throw new WebSocketProtocolError(`unknown opcode ${opcode}`, 1002);
    }
    this.fragments.push(payload);
    const size = this.fragments.reduce((sum, part) => sum + part.length, 0);
    if (size > MAX_MESSAGE_BYTES) throw new WebSocketProtocolError('message too large', 1009);
    if (!fin) return undefined;
    const data = Buffer.concat(this.fragments);
    const kind = this.fragmentOpcode;
    this.fragments = [];
    this.fragmentOpcode = undefined;
    return kind === OPCODE.text ? { kind: 'text', text: data.toString('utf8') } : { kind: 'binary', data };
  }
}

import {
  ClientFrameParser,
  closePayload,
  encodeClientFrame,
  encodeFrame,
  MAX_MESSAGE_BYTES,
  OPCODE,
  websocketAccept,
  WebSocketProtocolError,
} from './websocket-frames';

const maskedFrame = encodeClientFrame;

describe('websocket frames', () => {
  it('computes the handshake accept key of RFC 6455 §1.3', () => {
    expect(websocketAccept('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('encodes unmasked server frames with 7-, 16- and 64-bit lengths', () => {
    expect([...encodeFrame(OPCODE.text, 'hi')]).toEqual([0x81, 2, 0x68, 0x69]);
    const medium = encodeFrame(OPCODE.text, 'x'.repeat(300));
    expect([...medium.subarray(0, 4)]).toEqual([0x81, 126, 0x01, 0x2c]);
    expect(medium.length).toBe(304);
    const large = encodeFrame(OPCODE.binary, Buffer.alloc(70_000));
    expect(large.readUInt8(1)).toBe(127);
    expect(large.readBigUInt64BE(2)).toBe(70_000n);
    expect([...encodeFrame(OPCODE.close, closePayload(1000, 'bye'))]).toEqual([
      0x88, 5, 0x03, 0xe8, 0x62, 0x79, 0x65,
    ]);
  });

  it('parses masked client frames split anywhere across TCP chunks', () => {
    const text = JSON.stringify({ envelope_id: 'e-1', payload: { text: 'é'.repeat(200) } });
    const bytes = Buffer.concat([maskedFrame(OPCODE.text, text), maskedFrame(OPCODE.ping, 'p')]);
    const parser = new ClientFrameParser();
    const frames = [];
    for (const byte of bytes) frames.push(...parser.push(Buffer.from([byte])));
    expect(frames).toEqual([
      { kind: 'text', text },
      { kind: 'ping', data: Buffer.from('p') },
    ]);
  });

  it('reassembles fragmented messages, with control frames between the fragments', () => {
    const parser = new ClientFrameParser();
    const frames = parser.push(
      Buffer.concat([
        maskedFrame(OPCODE.text, '{"envelope_id":', false),
        maskedFrame(OPCODE.pong, ''),
        maskedFrame(OPCODE.continuation, '"e-2"}'),
      ]),
    );
    expect(frames).toEqual([
      { kind: 'pong', data: Buffer.alloc(0) },
      { kind: 'text', text: '{"envelope_id":"e-2"}' },
    ]);
  });

  it('reads a close frame with and without a status code', () => {
    const parser = new ClientFrameParser();
    expect(parser.push(maskedFrame(OPCODE.close, closePayload(1000, 'done')))).toEqual([
      { kind: 'close', code: 1000, reason: 'done' },
    ]);
    expect(new ClientFrameParser().push(maskedFrame(OPCODE.close, ''))).toEqual([
      { kind: 'close', reason: '' },
    ]);
  });

  it.each([
    ['an unmasked frame', 1002, encodeFrame(OPCODE.text, 'hi')],
    ['a stray continuation', 1002, maskedFrame(OPCODE.continuation, 'x')],
    ['a fragmented ping', 1002, maskedFrame(OPCODE.ping, 'x', false)],
    ['an unknown opcode', 1002, maskedFrame(0x3, 'x')],
    ['an oversize frame', 1009, maskedFrame(OPCODE.binary, Buffer.alloc(MAX_MESSAGE_BYTES + 1))],
  ])('refuses %s with close code %i', (_what, code, bytes) => {
    let thrown: unknown;
    try {
      new ClientFrameParser().push(bytes);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(WebSocketProtocolError);
    expect((thrown as WebSocketProtocolError).closeCode).toBe(code);
  });
});

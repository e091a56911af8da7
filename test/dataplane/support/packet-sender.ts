/**
 * Packets the pod agent's sockets do not send: run inside a pod's namespace (`ip netns exec`) as a
 * python3 script, one packet (or datagram) per call, answering one JSON line on stdout.
 *
 *   udp <dst> <port> <size> <timeoutMs> <none|ipopts|hopopts|dstopts>
 *       a UDP datagram of <size> bytes (over the MTU: the kernel fragments it) carrying IPv4
 *       options (NOP NOP NOP EOL) or an IPv6 hop-by-hop / destination-options header; waits for
 *       the echo: {"ok":true} or {"ok":false,"error":"timeout"}
 *   ext6 <src> <dst> <port> <headers> <timeoutMs>
 *       an IPv6 UDP datagram built by hand (raw socket) behind <headers> destination-options
 *       headers; the echo comes back to an ordinary UDP socket bound to the source port
 *   trunc <src> <dst>
 *       an IPv4 "TCP" packet whose TCP header is cut after 4 bytes (no reply expected): {"ok":true}
 *   serve-late <port> <delayMs>
 *       (long-running: startIn) a UDP server: prints {"ready":true} once bound; answers the first
 *       datagram at once and again <delayMs> later, from the same socket: a reply that comes late
 *   twice <dst> <port> <timeoutMs>
 *       one datagram (resent every 100 ms until the first answer), then waits for a second answer:
 *       {"ok":true,"second":true|false}
 *   flood <dst> <port> <packets> <flows>
 *       <packets> one-byte UDP datagrams over <flows> source ports (one after the other), as fast
 *       as python sends them: {"ok":true,"sent":N,"seconds":S}
 */
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);

const SENDER_SOURCE = String.raw`
import json, select, socket, struct, sys

def say(**msg):
    print(json.dumps(msg)); sys.stdout.flush()

def family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET

def wait_reply(sock, timeout_ms):
    ready, _, _ = select.select([sock], [], [], timeout_ms / 1000)
    if ready:
        sock.recv(65536)
        return say(ok=True)
    say(ok=False, error='timeout')

def checksum(data):
    if len(data) % 2: data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16: total = (total & 0xffff) + (total >> 16)
    return (~total) & 0xffff

mode = sys.argv[1]
if mode == 'udp':
    dst, port, size, timeout, opts = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    sock = socket.socket(family(dst), socket.SOCK_DGRAM)
    if opts == 'ipopts':
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, b'\x01\x01\x01\x00')
    elif opts in ('hopopts', 'dstopts'):
        name = socket.IPV6_HOPOPTS if opts == 'hopopts' else socket.IPV6_DSTOPTS
        sock.setsockopt(socket.IPPROTO_IPV6, name, b'\x00\x00\x01\x04\x00\x00\x00\x00')
    sock.sendto(b'x' * size, (dst, port))
    wait_reply(sock, timeout)
elif mode == 'ext6':
    src, dst, port, headers, timeout = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    reply = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    reply.bind((src, 0))
    sport = reply.getsockname()[1]
    payload = b'x'
    udp_len = 8 + len(payload)
    pseudo = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + struct.pack('!I3xB', udp_len, 17)
    udp = struct.pack('!HHHH', sport, port, udp_len, 0) + payload
    udp = struct.pack('!HHHH', sport, port, udp_len, checksum(pseudo + udp) or 0xffff) + payload
    ext = b''
    for i in range(headers):
        nxt = 60 if i < headers - 1 else 17
        ext += struct.pack('!BB', nxt, 0) + b'\x01\x04\x00\x00\x00\x00'
    first = 60 if headers else 17
    ip6 = struct.pack('!IHBB', 6 << 28, len(ext) + udp_len, first, 64) + socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
    raw = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.sendto(ip6 + ext + udp, (dst, 0))
    wait_reply(reply, timeout)
elif mode == 'trunc':
    src, dst = sys.argv[2], sys.argv[3]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    header = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 24, 0, 0, 64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))
    raw.sendto(header + struct.pack('!HH', 40000, 80), (dst, 0))
    say(ok=True)
elif mode == 'serve-late':
    import time
    port, delay = int(sys.argv[2]), int(sys.argv[3])
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(('::', port))
    say(ready=True)
    data, peer = sock.recvfrom(65536)
    sock.sendto(b'first', peer)
    time.sleep(delay / 1000)  # the behaviour under test: an answer that comes late
    sock.sendto(b'second', peer)
    say(ok=True)
elif mode == 'twice':
    dst, port, timeout = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    sock = socket.socket(family(dst), socket.SOCK_DGRAM)
    first = False
    for _ in range(max(1, timeout // 100)):
        sock.sendto(b'x', (dst, port))
        if select.select([sock], [], [], 0.1)[0]:
            sock.recv(65536); first = True; break
    if not first:
        say(ok=False, error='timeout')
    else:
        ready, _, _ = select.select([sock], [], [], timeout / 1000)
        say(ok=True, second=bool(ready))
elif mode == 'flood':
    import time
    dst, port, packets, flows = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    sent, started = 0, time.monotonic()
    for flow in range(flows):
        sock = socket.socket(family(dst), socket.SOCK_DGRAM)  # a new source port: a new flow
        for _ in range(packets // flows):
            try:
                sock.sendto(b'x', (dst, port)); sent += 1
            except OSError:
                pass
        sock.close()
    say(ok=True, sent=sent, seconds=time.monotonic() - started)
`;

export interface SendResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly sent?: number;
  readonly second?: boolean;
  readonly seconds?: number;
}

/** Runs one sender mode inside `netns`; see the header for the modes and their arguments. */
export async function sendFrom(netns: string, ...args: (string | number)[]): Promise<SendResult> {
  const { stdout } = await run('ip', [
    'netns',
    'exec',
    netns,
    'python3',
    '-c',
    SENDER_SOURCE,
    ...args.map(String),
  ]);
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as SendResult;
}

/** A long-running mode (serve-late): resolves once it printed {"ready":true}; done() its result. */
export async function startIn(
  netns: string,
  ...args: (string | number)[]
): Promise<{ done: Promise<SendResult>; stop(): void }> {
  const child = spawn('ip', ['netns', 'exec', netns, 'python3', '-c', SENDER_SOURCE, ...args.map(String)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const messages: SendResult[] = [];
  let onMessage: () => void = () => undefined;
  lines.on('line', (line) => {
    messages.push(JSON.parse(line) as SendResult);
    onMessage();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = (): Promise<SendResult | undefined> =>
    new Promise((resolve) => {
      if (messages.length > 0) return resolve(messages.shift());
      onMessage = () => resolve(messages.shift());
      void exited.then(() => resolve(messages.shift()));
    });
  const ready = await next();
  if (ready === undefined) throw new Error(`sender ${args.join(' ')} exited before it was ready`);
  return {
    done: next().then((result) => result ?? { ok: false, error: 'exited' }),
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

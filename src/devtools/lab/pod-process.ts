/**
 * The program every lab pod runs (`ip netns exec <pod-ns> node -e ...`): TCP and UDP echo servers
 * on the pod's ports (a TCP request that looks like HTTP gets `200` and the pod's name, for curl), and a probe client driven by JSON lines on stdin, answering on stdout:
 *   {id, op:'tcp', host, port, timeoutMs}   one TCP connect (then close): ok when it connects
 *   {id, op:'udp', host, port, timeoutMs}   a datagram (resent every 200 ms): ok only with a reply
 *   {id, op:'open', conn, host, port, timeoutMs}   a TCP connection kept under the name conn
 *   {id, op:'echo', conn, timeoutMs}        a byte on conn, ok when it comes back (conntrack tests)
 * Answers {id, ok:true} or {id, ok:false, error}; prints {ready:true} once every server listens.
 *
 * Each probe binds its own source port from a counter (20000-29999, outside the kernel's ephemeral
 * range), so no two probes of one pod share a 5-tuple: the dataplane's connection tracking (UDP
 * entries live 60 s) never lets a probe pass on an earlier probe's verdict.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

const POD_PROCESS_SOURCE = String.raw`
const net = require('node:net');
const dgram = require('node:dgram');
const readline = require('node:readline');
const tcpPorts = JSON.parse(process.env.LAB_TCP_PORTS || '[]');
const udpPorts = JSON.parse(process.env.LAB_UDP_PORTS || '[]');
const podName = process.env.LAB_POD || 'pod';
const say = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');
let pending = tcpPorts.length + udpPorts.length;
const listening = () => { if (--pending === 0) say({ ready: true }); };
if (pending === 0) say({ ready: true });
for (const port of tcpPorts) {
  net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (first) => {
      // An HTTP request (curl by hand) gets an HTTP answer naming the pod; anything else an echo.
      if (/^[A-Z]+ \S+ HTTP\/1/.test(first.toString('latin1'))) {
        const body = podName + '\n';
        socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ' + body.length + '\r\nconnection: close\r\n\r\n' + body);
        return;
      }
      socket.write(first);
      socket.on('data', (d) => socket.write(d));
    });
  }).listen({ port, host: '::', ipv6Only: false }, listening);
}
for (const port of udpPorts) {
  const udp = dgram.createSocket({ type: 'udp6', ipv6Only: false });
  udp.on('message', (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
  udp.bind(port, '::', listening);
}
const conns = new Map();
let nextPort = 20000 + Math.floor(Math.random() * 10000);
const sourcePort = () => { nextPort = nextPort >= 29999 ? 20000 : nextPort + 1; return nextPort; };
function probe(id, timeoutMs, start) {
  let done = false;
  let cleanup = () => {};
  const finish = (ok, error) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    try { cleanup(); } catch {}
    say(ok ? { id, ok: true } : { id, ok: false, error });
  };
  const timer = setTimeout(() => finish(false, 'timeout'), timeoutMs);
  cleanup = start(finish) || cleanup;
}
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const req = JSON.parse(line);
  if (req.op === 'tcp') {
    probe(req.id, req.timeoutMs, (finish) => {
      const socket = net.connect({ host: req.host, port: req.port, localPort: sourcePort() });
      socket.on('error', (err) => finish(false, err.code || String(err)));
      socket.on('connect', () => { socket.end(); finish(true); });
      return () => { if (socket.connecting) socket.destroy(); };
    });
  } else if (req.op === 'udp') {
    probe(req.id, req.timeoutMs, (finish) => {
      const socket = dgram.createSocket(net.isIPv6(req.host) ? 'udp6' : 'udp4');
      let resend;
      socket.on('message', () => finish(true));
      socket.on('error', (err) => finish(false, err.code || String(err)));
      socket.bind(sourcePort(), () => {
        const send = () => socket.send('x', req.port, req.host, () => {});
        send();
        resend = setInterval(send, 200);
      });
      return () => { clearInterval(resend); socket.close(); };
    });
  } else if (req.op === 'open') {
    probe(req.id, req.timeoutMs, (finish) => {
      const socket = net.connect({ host: req.host, port: req.port, localPort: sourcePort() });
      socket.on('error', (err) => finish(false, err.code || String(err)));
      socket.on('connect', () => { conns.set(req.conn, socket); finish(true); });
    });
  } else if (req.op === 'echo') {
    const socket = conns.get(req.conn);
    if (!socket) return say({ id: req.id, ok: false, error: 'no such connection' });
    probe(req.id, req.timeoutMs, (finish) => {
      socket.once('data', () => finish(true));
      socket.write('x');
    });
  } else say({ id: req.id, ok: false, error: 'unknown op' });
});
`;

export interface ProbeResult {
  readonly ok: boolean;
  readonly error?: string;
}

export type ProbeProtocol = 'TCP' | 'UDP';

export class PodProcess {
  private readonly pending = new Map<number, (result: ProbeResult) => void>();
  private nextId = 1;
  private exitError: Error | undefined;
  readonly ready: Promise<void>;
  readonly pid: number;

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, Readable>) {
    this.pid = child.pid ?? -1;
    let markReady: () => void = () => {};
    let fail: (err: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      fail = reject;
    });
    const stderr: string[] = [];
    createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
    child.on('exit', (code, signal) => {
      this.exitError = new Error(`pod process exited (${signal ?? code}): ${stderr.slice(-5).join(' | ')}`);
      fail(this.exitError);
      for (const resolve of this.pending.values()) resolve({ ok: false, error: 'pod process exited' });
      this.pending.clear();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { ready?: boolean; id?: number; ok?: boolean; error?: string };
      if (message.ready === true) return markReady();
      const resolve = this.pending.get(message.id ?? -1);
      this.pending.delete(message.id ?? -1);
      resolve?.({ ok: message.ok === true, error: message.error });
    });
  }

  static start(
    netns: string,
    pod: string,
    ports: { tcp: readonly number[]; udp: readonly number[] },
  ): PodProcess {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', POD_PROCESS_SOURCE], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LAB_TCP_PORTS: JSON.stringify(ports.tcp),
        LAB_UDP_PORTS: JSON.stringify(ports.udp),
        LAB_POD: pod,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new PodProcess(child);
  }

  probe(protocol: ProbeProtocol, host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
    return this.request({ op: protocol === 'TCP' ? 'tcp' : 'udp', host, port, timeoutMs });
  }

  /** One TCP connect: ok when it connects. */
  connect(host: string, port: number, timeoutMs = 1_000): Promise<ProbeResult> {
    return this.probe('TCP', host, port, timeoutMs);
  }

  /** A datagram: ok only with a reply. */
  udp(host: string, port: number, timeoutMs = 1_000): Promise<ProbeResult> {
    return this.probe('UDP', host, port, timeoutMs);
  }

  /** A TCP connection kept open under `conn` (for echo). */
  open(conn: string, host: string, port: number, timeoutMs = 1_000): Promise<ProbeResult> {
    return this.request({ op: 'open', conn, host, port, timeoutMs });
  }

  /** A byte over the connection `conn`: ok when it comes back. */
  echo(conn: string, timeoutMs = 1_000): Promise<ProbeResult> {
    return this.request({ op: 'echo', conn, timeoutMs });
  }

  private request(message: Record<string, unknown>): Promise<ProbeResult> {
    if (this.exitError !== undefined) return Promise.resolve({ ok: false, error: this.exitError.message });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin.write(JSON.stringify({ ...message, id }) + '\n');
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/**
 * The program each lab pod (and the node) runs, as source for `node -e`: TCP and UDP echo servers
 * on the ports in POD_PORTS, and a client driven by JSON lines on stdin, answering on stdout:
 *   {id, op:'connect', host, port, timeoutMs}         one TCP connect, then close
 *   {id, op:'open', conn, host, port, timeoutMs}      keep a connection under the name conn
 *   {id, op:'echo', conn, timeoutMs}                  send a byte on conn, wait for it back
 *   {id, op:'udp', host, port, timeoutMs}             one datagram, wait for the echo
 * Answers: {id, ok:true} or {id, ok:false, error}. Prints {ready:true} once every server listens.
 */
export const POD_AGENT_SOURCE = String.raw`
const net = require('node:net');
const dgram = require('node:dgram');
const readline = require('node:readline');
const ports = JSON.parse(process.env.POD_PORTS || '[]');
const conns = new Map();
const say = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');
let pending = ports.length * 2;
const listening = () => { if (--pending === 0) say({ ready: true }); };
if (pending === 0) say({ ready: true });
for (const port of ports) {
  net.createServer((socket) => { socket.on('data', (d) => socket.write(d)); socket.on('error', () => {}); })
    .listen({ port, host: '::', ipv6Only: false }, listening);
  const udp = dgram.createSocket({ type: 'udp6', ipv6Only: false });
  udp.on('message', (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
  udp.bind(port, '::', listening);
}
function withTimeout(id, timeoutMs, start) {
  let done = false;
  const finish = (ok, error, cleanup) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (cleanup) cleanup();
    say(ok ? { id, ok: true } : { id, ok: false, error });
  };
  const timer = setTimeout(() => finish(false, 'timeout'), timeoutMs);
  start(finish);
}
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const req = JSON.parse(line);
  if (req.op === 'connect' || req.op === 'open') {
    withTimeout(req.id, req.timeoutMs, (finish) => {
      const socket = net.connect({ host: req.host, port: req.port });
      socket.on('error', (err) => finish(false, err.code || String(err), () => socket.destroy()));
      socket.on('connect', () => {
        if (req.op === 'open') { conns.set(req.conn, socket); finish(true); }
        else finish(true, undefined, () => socket.end());
      });
      if (req.op === 'connect') setTimeout(() => socket.destroy(), req.timeoutMs + 10).unref();
    });
  } else if (req.op === 'echo') {
    const socket = conns.get(req.conn);
    if (!socket) return say({ id: req.id, ok: false, error: 'no such connection' });
    withTimeout(req.id, req.timeoutMs, (finish) => {
      socket.once('data', () => finish(true));
      socket.write('x');
    });
  } else if (req.op === 'udp') {
    withTimeout(req.id, req.timeoutMs, (finish) => {
      const socket = dgram.createSocket(net.isIPv6(req.host) ? 'udp6' : 'udp4');
      const cleanup = () => socket.close();
      socket.on('message', () => finish(true, undefined, cleanup));
      socket.on('error', (err) => finish(false, err.code || String(err), cleanup));
      socket.send('x', req.port, req.host);
      setTimeout(() => { try { socket.close(); } catch {} }, req.timeoutMs + 10).unref();
    });
  }
});
`;

/**
 * The loader helper (bpf/build/netpol-loader) as a child process: one request a line, replies
 * matched by id, ring-buffer records delivered to onEvent, new-veth notices (after `watch-links`)
 * to onLink. Requests are answered in order by a
 * single-threaded helper; several may be in flight. Lifecycle: start() spawns, close() ends stdin
 * and waits for the exit (pinned maps and attached programs outlive the helper by design).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BpfLoaderError } from './bpf-loader-error';

export interface LoaderProcessOptions {
  readonly binaryPath: string;
  /** Raw ring-buffer records (decode with abi.decodeEvent). */
  readonly onEvent?: (record: Buffer) => void;
  /** The helper's stderr (libbpf and verifier logs), a line at a time. */
  readonly onLog?: (line: string) => void;
  /** After `watch-links`: a new host veth the helper attached to (or failed to, or released), or an overrun. */
  readonly onLink?: (notice: LinkNotice) => void;
}

/** `link <ifindex> <ifname> ok|released|err <errno-name>`, or `link - - overrun`. */
export type LinkNotice =
  | { readonly kind: 'attached'; readonly ifindex: number; readonly ifname: string }
  | { readonly kind: 'released'; readonly ifindex: number; readonly ifname: string }
  | { readonly kind: 'failed'; readonly ifindex: number; readonly ifname: string; readonly code: string }
  | { readonly kind: 'overrun' };

export function parseLinkNotice(line: string): LinkNotice | undefined {
  const [, index, ifname = '', status, code = 'EUNKNOWN'] = line.split(' ');
  if (status === 'overrun') return { kind: 'overrun' };
  const ifindex = Number(index);
  if (!Number.isInteger(ifindex) || ifindex <= 0) return undefined;
  if (status === 'ok') return { kind: 'attached', ifindex, ifname };
  if (status === 'released') return { kind: 'released', ifindex, ifname };
  if (status === 'err') return { kind: 'failed', ifindex, ifname, code };
  return undefined;
}

interface Pending {
  readonly command: string;
  readonly subject: string | undefined;
  resolve(words: string[]): void;
  reject(error: Error): void;
}

/** Commands whose first words say what they were about (short paths and names, not hex). */
const SUBJECT_COMMANDS = new Set(['open', 'attach', 'detach', 'watch-links']);

export class LoaderProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;
  private exitReason: string | undefined;

  private constructor(options: LoaderProcessOptions) {
    this.child = spawn(options.binaryPath, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitReason = `the loader helper exited (${signal ?? `status ${code}`})`;
        this.failAll(this.exitReason);
        resolve(code);
      });
      this.child.on('error', (err) => {
        this.exitCode = null;
        this.exitReason = `the loader helper ${options.binaryPath} cannot run: ${err.message}`;
        this.failAll(this.exitReason, err);
        resolve(null);
      });
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.onLine(line, options));
    createInterface({ input: this.child.stderr }).on('line', (line) => options.onLog?.(line));
  }

  static start(options: LoaderProcessOptions): LoaderProcess {
    return new LoaderProcess(options);
  }

  /** Sends one request; resolves with the words after `ok`. */
  request(command: string, args: readonly string[] = []): Promise<string[]> {
    const subject = SUBJECT_COMMANDS.has(command) ? args.slice(0, 2).join(' ') : undefined;
    if (this.exitCode !== undefined) {
      return Promise.reject(
        new BpfLoaderError(
          'E_LOADER_EXITED',
          command,
          this.exitReason ?? 'the loader helper is not running',
          {
            subject,
          },
        ),
      );
    }
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { command, subject, resolve, reject });
      this.child.stdin.write(`${id} ${command}${args.length ? ' ' + args.join(' ') : ''}\n`);
    });
  }

  /** Ends stdin and waits for the helper to exit. */
  async close(): Promise<void> {
    if (this.exitCode === undefined) this.child.stdin.end();
    await this.exited;
  }

  /** SIGKILL (tests of restart safety); resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.exitCode === undefined) this.child.kill('SIGKILL');
    await this.exited;
  }

  private onLine(line: string, options: LoaderProcessOptions): void {
    if (line.startsWith('event ')) {
      options.onEvent?.(Buffer.from(line.slice(6), 'hex'));
      return;
    }
    if (line.startsWith('link ')) {
      const notice = parseLinkNotice(line);
      if (notice !== undefined) options.onLink?.(notice);
      return;
    }
    const [id = '', status, ...rest] = line.split(' ');
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    if (status === 'ok') request.resolve(rest);
    else
      request.reject(
        new BpfLoaderError(rest[0] ?? 'EUNKNOWN', request.command, rest.slice(1).join(' '), {
          subject: request.subject,
        }),
      );
  }

  private failAll(message: string, cause?: unknown): void {
    for (const [id, request] of this.pending) {
      this.pending.delete(id);
      request.reject(
        new BpfLoaderError('E_LOADER_EXITED', request.command, message, { cause, subject: request.subject }),
      );
    }
  }
}

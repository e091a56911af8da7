/** What the CLI touches outside itself, injected so tests drive it in-process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /**
   * stdout for output that can be large (the matrix), bytes as UTF-8: resolves once the stream has
   * written the chunk, so the caller may reuse its bytes, and at most one chunk waits in the
   * stream's buffer (stdout-writer.ts). Absent: stdout.
   */
  writeStdout?: (chunk: string | Uint8Array) => Promise<void>;
  /**
   * The environment: NETPOL_CONFIG (the bot's config file), KUBECONFIG and HOME (the kubeconfig, found
   * as kubectl finds it), REDIS_URL and NETPOL_PREFIX (`netpol status`); nothing else is read. Absent: empty (HOME then falls back to os.homedir()).
   */
  env?: Readonly<Record<string, string | undefined>>;
}

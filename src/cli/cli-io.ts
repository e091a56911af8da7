/** What the CLI touches outside itself, injected so tests drive it in-process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /**
   * stdout with back-pressure, for output that can be large (the matrix): resolves when the stream
   * can take more (bin.ts waits for 'drain' when write returns false). Absent: stdout.
   */
  writeStdout?: (text: string) => Promise<void>;
  /** The environment (only NETPOL_CONFIG is read: the bot's config file); absent: empty. */
  env?: Readonly<Record<string, string | undefined>>;
}

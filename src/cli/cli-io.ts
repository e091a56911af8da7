/** What the CLI touches outside itself, injected so tests drive it in-process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The environment (only NETPOL_CONFIG is read: the bot's config file); absent: empty. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** What the CLI touches outside itself, injected so tests drive it in-process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

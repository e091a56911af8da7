/**
 * BpfLoaderError: a request the loader helper refused (`<id> err <errno-name> <message>`), or the
 * helper itself gone. `code` is the errno name (EPERM, ENOENT, ...) or E_LOADER_EXITED.
 */
export class BpfLoaderError extends Error {
  readonly code: string;
  readonly command: string;

  constructor(code: string, command: string, message: string, options: { cause?: unknown } = {}) {
    super(
      `${command}: ${code} ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'BpfLoaderError';
    this.code = code;
    this.command = command;
  }
}

/**
 * BpfLoaderError: a request the loader helper refused (`<id> err <errno-name> <message>`), or the
 * helper itself gone. `code` is the catalogue's (src/core/error-catalogue.ts: E_BPF_PERMISSION,
 * E_BPF_VERIFIER, ...), told from the command and the helper's own words; `errno` keeps what the
 * kernel said (EPERM, ENOENT, ... or E_LOADER_EXITED). The message names the command and its
 * subject (object, namespace and link), what went wrong and the errno; for a program the kernel
 * refused, the verifier's last lines.
 */
import type { CodeOf } from '../../core/error-catalogue';

export type BpfLoaderCode = CodeOf<'BpfLoaderError'>;

/** Which catalogue code a refusal is. */
export function bpfLoaderCode(errno: string, command: string, detail: string): BpfLoaderCode {
  if (errno === 'E_LOADER_EXITED') return 'E_BPF_LOADER_EXITED';
  if (command === 'open' && detail.startsWith('verifier')) return 'E_BPF_VERIFIER';
  if (errno === 'EPERM' || errno === 'EACCES') return 'E_BPF_PERMISSION';
  if (command === 'open') return 'E_BPF_OBJECT';
  if (detail.startsWith('cannot enter the network namespace')) return 'E_BPF_NETNS';
  if (detail.startsWith('no such link')) return 'E_BPF_NO_LINK';
  if (command === 'attach' || command === 'detach' || command === 'watch-links') return 'E_BPF_ATTACH';
  return 'E_BPF_MAP';
}

export class BpfLoaderError extends Error {
  readonly code: BpfLoaderCode;
  readonly errno: string;
  readonly command: string;

  /** `subject`: what the command was about (`np-node hv0`, the object's path), for the message. */
  constructor(
    errno: string,
    command: string,
    detail: string,
    options: { cause?: unknown; subject?: string } = {},
  ) {
    const about = options.subject ? `${command} ${options.subject}` : command;
    super(
      `netpol-loader ${about}: ${detail} (${errno})`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'BpfLoaderError';
    this.code = bpfLoaderCode(errno, command, detail);
    this.errno = errno;
    this.command = command;
  }
}

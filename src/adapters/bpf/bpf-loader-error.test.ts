/**
 * The helper's replies as an operator reads them: which catalogue code each refusal is, the
 * message naming the command, its subject and the errno, and the unsolicited new-veth notices.
 */
import { ERROR_CATALOGUE } from '../../core/error-catalogue';
import { BpfLoaderError, bpfLoaderCode } from './bpf-loader-error';
import { parseLinkNotice } from './loader-process';

describe('bpfLoaderCode', () => {
  test.each([
    ['E_LOADER_EXITED', 'update', 'the loader helper exited (SIGKILL)', 'E_BPF_LOADER_EXITED'],
    ['EACCES', 'open', 'verifier refused a program: R1 offset is outside of the packet', 'E_BPF_VERIFIER'],
    ['EPERM', 'attach', 'cannot enter the network namespace', 'E_BPF_PERMISSION'],
    ['ENOENT', 'open', 'cannot open the object file', 'E_BPF_OBJECT'],
    ['ENOENT', 'attach', 'cannot enter the network namespace', 'E_BPF_NETNS'],
    ['ENOENT', 'watch-links', 'cannot enter the network namespace', 'E_BPF_NETNS'],
    ['ENODEV', 'attach', 'no such link in that namespace', 'E_BPF_NO_LINK'],
    ['EBUSY', 'attach', 'cannot attach the programs to that link', 'E_BPF_ATTACH'],
    ['E2BIG', 'update', 'update failed at 3', 'E_BPF_MAP'],
  ] as const)('%s on %s (%s) is %s', (errno, command, detail, code) => {
    expect(bpfLoaderCode(errno, command, detail)).toBe(code);
    expect(ERROR_CATALOGUE[code].raisedBy).toContain('BpfLoaderError');
  });

  test('the message names the command, its subject, what is wrong and the errno', () => {
    const err = new BpfLoaderError('ENOENT', 'attach', 'cannot enter the network namespace', {
      subject: 'np-node hv0',
    });
    expect(err.message).toBe('netpol-loader attach np-node hv0: cannot enter the network namespace (ENOENT)');
    expect(err).toMatchObject({
      code: 'E_BPF_NETNS',
      errno: 'ENOENT',
      command: 'attach',
      name: 'BpfLoaderError',
    });
  });
});

describe('parseLinkNotice', () => {
  test('an attach, a failed one, an overrun; anything else is ignored', () => {
    expect(parseLinkNotice('link 7 hv-a ok')).toEqual({ kind: 'attached', ifindex: 7, ifname: 'hv-a' });
    expect(parseLinkNotice('link 8 eni1 err EBUSY')).toEqual({
      kind: 'failed',
      ifindex: 8,
      ifname: 'eni1',
      code: 'EBUSY',
    });
    expect(parseLinkNotice('link 9 hv-b released')).toEqual({ kind: 'released', ifindex: 9, ifname: 'hv-b' });
    expect(parseLinkNotice('link - - overrun')).toEqual({ kind: 'overrun' });
    expect(parseLinkNotice('link x hv-a ok')).toBeUndefined();
    expect(parseLinkNotice('link 9 hv-a maybe')).toBeUndefined();
  });
});

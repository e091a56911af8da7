/**
 * An agent upgraded on a node keeps the maps pinned by the previous one. When the new object
 * changed a cache's layout (conntrack grew from 24 to 40 bytes a value for the same-node single
 * pass), libbpf would refuse to adopt the old pin and the new agent could not start; the loader
 * helper replaces a cache whose layout differs instead. Root only; everything has the prefix
 * np-dp-<pid>-up- and is removed in afterAll.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { BpfDataplane } from '../../src/adapters/bpf/bpf-dataplane';
import {
  LOADER_PATH,
  OBJECT_PATH,
  ensureDataplanePrerequisites,
  sweepLeftovers,
} from './support/dataplane-prerequisites';

const PREFIX = `np-dp-${process.pid}-up-`;
const PIN_DIR = `/sys/fs/bpf/${PREFIX}maps`;

function pinnedValueSize(name: string): number {
  const shown = JSON.parse(
    execFileSync('bpftool', ['-j', 'map', 'show', 'pinned', `${PIN_DIR}/${name}`], { encoding: 'utf8' }),
  ) as { bytes_value: number };
  return shown.bytes_value;
}

let dataplane: BpfDataplane | undefined;

beforeAll(() => {
  ensureDataplanePrerequisites();
  sweepLeftovers();
});

afterAll(async () => {
  await dataplane?.close();
  rmSync(PIN_DIR, { recursive: true, force: true });
});

test('a pinned conntrack of an older layout is replaced, so the new object loads', async () => {
  mkdirSync(PIN_DIR, { recursive: true });
  // The conntrack map as the previous object pinned it: 44-byte keys, 24-byte values.
  execFileSync('bpftool', [
    'map',
    'create',
    `${PIN_DIR}/conntrack`,
    'type',
    'lru_hash',
    'key',
    '44',
    'value',
    '24',
    'entries',
    '131072',
    'name',
    'conntrack',
  ]);
  const logs: string[] = [];
  dataplane = await BpfDataplane.open({
    pinDir: PIN_DIR,
    objectPath: OBJECT_PATH,
    loaderPath: LOADER_PATH,
    onLog: (line) => logs.push(line),
  });
  expect(pinnedValueSize('conntrack')).toBe(40);
  expect(logs.join('\n')).toContain('pinned conntrack has another layout (an upgrade): replaced');
  // The state maps were made and pinned as usual.
  expect(pinnedValueSize('endpoints')).toBe(8);
});

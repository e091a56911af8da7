/**
 * Pins the ABI: the struct layouts in the compiled object's BTF (bpftool) and the #defines of
 * bpf/netpol_abi.h must equal their TypeScript mirror (src/adapters/bpf/abi.ts), field for field.
 * Needs the build (clang, libbpf-dev) and bpftool, not root; fails with the reason when missing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ABI_CONSTANTS, LAYOUTS, type StructLayout } from '../../src/adapters/bpf/abi';
import { BPF_DIR, OBJECT_PATH, ensureBuilt } from './support/dataplane-prerequisites';

interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: { name: string; type_id: number; bits_offset: number }[];
}

function readBtf(): Map<number, BtfType> {
  ensureBuilt();
  let json: string;
  try {
    json = execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', OBJECT_PATH], { encoding: 'utf8' });
  } catch (err) {
    throw new Error('bpftool is needed to read the object BTF (Debian package bpftool)', { cause: err });
  }
  const { types } = JSON.parse(json) as { types: BtfType[] };
  return new Map(types.map((type) => [type.id, type]));
}

function sizeOf(types: Map<number, BtfType>, id: number): number {
  const type = types.get(id)!;
  if (type.kind === 'TYPEDEF' || type.kind === 'VOLATILE' || type.kind === 'CONST')
    return sizeOf(types, type.type_id!);
  if (type.kind === 'ARRAY') return sizeOf(types, type.type_id!) * type.nr_elems!;
  return type.size!;
}

function layoutFromBtf(types: Map<number, BtfType>, name: string): StructLayout | undefined {
  const struct = [...types.values()].find((type) => type.kind === 'STRUCT' && type.name === name);
  if (!struct) return undefined;
  return {
    name,
    size: struct.size!,
    fields: struct.members!.map((member) => ({
      name: member.name,
      offset: member.bits_offset / 8,
      size: sizeOf(types, member.type_id),
    })),
  };
}

describe('the ABI between bpf/ and src/adapters/bpf/', () => {
  const types = readBtf();

  test.each(Object.values(LAYOUTS).map((layout) => [layout.name, layout]))(
    'struct %s: BTF and the TypeScript mirror agree',
    (_name, layout) => {
      expect(layoutFromBtf(types, layout.name)).toEqual(layout);
    },
  );

  test('every struct of netpol_abi.h is mirrored', () => {
    const header = readFileSync(join(BPF_DIR, 'netpol_abi.h'), 'utf8');
    const declared = [...header.matchAll(/^struct (netpol_\w+) \{/gm)].map((match) => match[1]).sort();
    expect(declared).toEqual(
      Object.values(LAYOUTS)
        .map((layout) => layout.name)
        .sort(),
    );
  });

  test('every #define of netpol_abi.h has the same value in the mirror, and nothing more', () => {
    const header = readFileSync(join(BPF_DIR, 'netpol_abi.h'), 'utf8');
    const defines = new Map(
      [...header.matchAll(/^#define (NETPOL_\w+) (\([^)]*\)|\S+)/gm)].map((match) => {
        const text = match[2]!;
        const shift = /^\(1u << (\d+)\)$/.exec(text);
        return [match[1]!, shift ? 2 ** Number(shift[1]) : Number(text)] as const;
      }),
    );
    expect(new Map([...defines].sort())).toEqual(new Map([...ABI_CONSTANTS].sort()));
  });
});

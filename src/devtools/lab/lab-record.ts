/**
 * The record of the lab `netpol lab up` keeps running, so `netpol lab down` (another process) finds
 * it: the supervising process's pid, what it made (LabInventory) and how to reach it (pods and
 * their namespaces, the kubeconfig). One lab at a time, in /run/netpol-lab/lab.json.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabInventory } from './lab';

export const RECORD_DIR = '/run/netpol-lab';
export const RECORD_FILE = join(RECORD_DIR, 'lab.json');
export const LOG_FILE = join(RECORD_DIR, 'lab.log');

export interface LabRecord {
  readonly pid: number;
  readonly state: 'starting' | 'ready';
  readonly inventory?: LabInventory;
  readonly kubeconfig?: string;
  readonly redisUrl?: string;
  readonly nodes?: readonly { name: string; netns: string; address: string }[];
  readonly pods?: readonly { pod: string; netns: string; ip: string; node: string }[];
}

export function writeRecord(record: LabRecord): void {
  mkdirSync(RECORD_DIR, { recursive: true });
  writeFileSync(`${RECORD_FILE}.tmp`, JSON.stringify(record, null, 2));
  writeFileSync(RECORD_FILE, readFileSync(`${RECORD_FILE}.tmp`));
  rmSync(`${RECORD_FILE}.tmp`, { force: true });
}

export function readRecord(): LabRecord | null {
  try {
    return JSON.parse(readFileSync(RECORD_FILE, 'utf8')) as LabRecord;
  } catch {
    return null;
  }
}

export function removeRecord(): void {
  rmSync(RECORD_FILE, { force: true });
}

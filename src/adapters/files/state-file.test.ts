import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStateFile } from './state-file';

const LIST = `
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: { name: api-0, namespace: backend, labels: { app: api } }
    status: { podIP: 10.0.1.10 }
`;

describe('loadStateFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netpol-state-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file', async () => {
    const path = join(dir, 'cluster.yaml');
    writeFileSync(path, LIST);
    await expect(loadStateFile(path)).resolves.toMatchObject({ pods: [{ name: 'api-0' }] });
  });

  it('says so when the file does not exist', async () => {
    await expect(loadStateFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({
      code: 'E_STATE',
      message: expect.stringContaining('missing.yaml: no such file'),
    });
  });
});

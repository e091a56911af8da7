/**
 * A self-signed certificate for serving the stand-in over HTTPS, made with the `openssl` command
 * (Debian's openssl package) on first use and reused for the rest of the process. HTTPS matters for
 * kubectl: client-go reads a kubeconfig's credentials only for TLS clusters, so over plain http
 * kubectl never sends the bearer token (and gets 401). No key material is kept on disk or in the repo.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface Certificate {
  /** PEM; also the CA a client trusts (it is self-signed). */
  cert: string;
  key: string;
}

let cached: Promise<Certificate> | undefined;

async function generate(): Promise<Certificate> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-stand-in-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    // prettier-ignore
    const args = [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650',
      '-subj', '/CN=netpol-stand-in', '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
      '-keyout', keyPath, '-out', certPath,
    ];
    try {
      await promisify(execFile)('openssl', args);
    } catch (error) {
      throw new Error(
        `the stand-in needs the openssl command to serve HTTPS (apt-get install -y openssl): ${(error as Error).message}`,
        { cause: error },
      );
    }
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function selfSignedCertificate(): Promise<Certificate> {
  cached ??= generate().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

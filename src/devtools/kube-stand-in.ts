/**
 * `kube-stand-in`: runs the Kubernetes API stand-in (src/devtools/kube-api) on its own, loaded with
 * the namespaces, pods and NetworkPolicies of a state file, so netpol's workers, kubectl or a person
 * can talk to a fake cluster over the real wire protocol:
 *
 *   node dist/src/devtools/kube-stand-in.js --state cluster.yaml --port 8001 --kubeconfig /tmp/kubeconfig
 *   kubectl --kubeconfig /tmp/kubeconfig get networkpolicies -A
 *
 * It serves HTTPS with a throwaway self-signed certificate (the kubeconfig trusts it), because kubectl
 * sends no credentials to a plain-http server; `--http` serves plain http for clients that do.
 * The state file holds Kubernetes objects as YAML or JSON: several documents, a `kind: List`, or a
 * mapping `{ namespaces, pods, networkpolicies }` of lists. Other kinds (Deployments, Services) are
 * skipped and counted. This is deliberately small; the real state-file loader lives in src/core/state/.
 * Runs until SIGINT or SIGTERM.
 */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { NetpolError } from '../core/errors';
import { startKubeApiStandIn, type KubeApiStandIn } from './kube-api';

const USAGE =
  'usage: kube-stand-in [--state FILE] [--port N] [--host ADDR] [--kubeconfig OUT] [--token TOKEN] [--http]';

const LIST_KEYS = ['namespaces', 'pods', 'networkpolicies'];
const SERVED_KINDS = new Set(['v1/Namespace', 'v1/Pod', 'networking.k8s.io/v1/NetworkPolicy']);

export interface StandInCliOptions {
  state?: string;
  port: number;
  host: string;
  kubeconfig?: string;
  token?: string;
  /** Serve plain http instead of HTTPS (kubectl then sends no token and gets 401). */
  http: boolean;
}

export function parseArgs(argv: string[]): StandInCliOptions {
  const options: StandInCliOptions = { port: 0, host: '127.0.0.1', http: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const need = (): string => {
      if (value === undefined || value.startsWith('--')) {
        throw new NetpolError('E_USAGE', `${flag} needs a value`, { hint: USAGE });
      }
      i++;
      return value;
    };
    switch (flag) {
      case '--state':
        options.state = need();
        break;
      case '--port': {
        const text = need();
        const port = Number(text);
        if (!/^\d+$/.test(text) || port > 65535) {
          throw new NetpolError('E_USAGE', `--port must be a number from 0 to 65535, not "${text}"`, {
            hint: USAGE,
          });
        }
        options.port = port;
        break;
      }
      case '--host':
        options.host = need();
        break;
      case '--kubeconfig':
        options.kubeconfig = need();
        break;
      case '--token':
        options.token = need();
        break;
      case '--http':
        options.http = true;
        break;
      default:
        throw new NetpolError('E_USAGE', `unknown argument "${String(flag)}"`, { hint: USAGE });
    }
  }
  return options;
}

export interface LoadedState {
  objects: object[];
  /** Objects of kinds the stand-in does not serve, by `apiVersion/kind`. */
  skipped: Record<string, number>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Kubernetes objects from YAML or JSON text (several documents, `kind: List`, or a mapping of lists). */
export function parseStateText(text: string, file: string): LoadedState {
  const objects: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    const error = doc.errors[0];
    if (error !== undefined) {
      const at = error.linePos?.[0];
      const where = at === undefined ? file : `${file}:${at.line}:${at.col}`;
      throw new NetpolError('E_STATE', `${where}: ${error.message.split('\n')[0]}`, { cause: error });
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (isRecord(value) && value.kind === 'List' && Array.isArray(value.items)) objects.push(...value.items);
    else if (isRecord(value) && value.kind === undefined && LIST_KEYS.some((k) => k in value)) {
      for (const key of LIST_KEYS) {
        const list = value[key];
        if (list !== undefined && !Array.isArray(list)) {
          throw new NetpolError('E_STATE', `${file}: "${key}" must be a list of objects`);
        }
        objects.push(...((list as unknown[] | undefined) ?? []));
      }
    } else objects.push(value);
  }
  const loaded: LoadedState = { objects: [], skipped: {} };
  objects.forEach((o, i) => {
    if (!isRecord(o) || typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') {
      throw new NetpolError('E_STATE', `${file}: object ${i + 1} has no apiVersion and kind`);
    }
    const key = `${o.apiVersion}/${o.kind}`;
    if (SERVED_KINDS.has(key)) loaded.objects.push(o);
    else loaded.skipped[key] = (loaded.skipped[key] ?? 0) + 1;
  });
  return loaded;
}

export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

const CONSOLE: CliOutput = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** Starts the stand-in as the arguments say and returns it; throws NetpolError on bad input. */
export async function main(argv: string[], output: CliOutput = CONSOLE): Promise<KubeApiStandIn> {
  const options = parseArgs(argv);
  let state: LoadedState = { objects: [], skipped: {} };
  if (options.state !== undefined) {
    let text: string;
    try {
      text = await readFile(options.state, 'utf8');
    } catch (error) {
      throw new NetpolError('E_STATE', `cannot read ${options.state}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    state = parseStateText(text, options.state);
  }
  let standIn: KubeApiStandIn;
  try {
    standIn = await startKubeApiStandIn({
      port: options.port,
      host: options.host,
      token: options.token,
      tls: !options.http,
      recordRequests: false,
      initial: {
        namespaces: state.objects.filter((o) => (o as { kind: string }).kind === 'Namespace'),
        pods: state.objects.filter((o) => (o as { kind: string }).kind === 'Pod'),
        networkpolicies: state.objects.filter((o) => (o as { kind: string }).kind === 'NetworkPolicy'),
      },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith('seeding the stand-in failed')) {
      throw new NetpolError('E_STATE', `${options.state ?? 'state'}: ${message}`, { cause: error });
    }
    throw error;
  }
  for (const [kind, count] of Object.entries(state.skipped)) {
    output.err(`kube-stand-in: skipped ${count} ${kind} (not served)`);
  }
  if (options.kubeconfig !== undefined) {
    await standIn.writeKubeconfig(options.kubeconfig);
    output.err(`kube-stand-in: kubeconfig written to ${options.kubeconfig}`);
  }
  output.out(standIn.url);
  return standIn;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (standIn) => {
      const stop = (): void => {
        void standIn.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: unknown) => {
      console.error(error instanceof NetpolError ? error.toLine() : error);
      process.exit(error instanceof NetpolError && error.code === 'E_USAGE' ? 2 : 1);
    },
  );
}

/**
 * The kubeconfig a person's tools use, found and read as kubectl does: `--kubeconfig FILE` if given,
 * else the files of `KUBECONFIG` (joined with `:`; missing ones are ignored, the first file to set
 * the current context wins), else `~/.kube/config`; then the context named by `--context`, else the
 * current one. Every problem is a NetpolError E_KUBECONFIG naming the file or context and what to do
 * (the CLI prints it as one line). The environment is passed in (only the app's main reads it).
 *
 * The workers load theirs with kube-client.ts's loadKubeConfig (a path or the in-cluster account);
 * this is for people at a terminal, where a wrong context is the common mistake.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { NetpolError } from '../../core/errors';

export interface KubeconfigChoice {
  /** `--kubeconfig FILE`: this file only. */
  file?: string;
  /** `--context NAME`: instead of the current context. */
  context?: string;
  /** The KUBECONFIG and HOME variables. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The kubeconfig, set to the chosen context, and what it names (for saying what is read). */
export interface ChosenContext {
  kubeConfig: KubeConfig;
  /** The files read, in order. */
  files: string[];
  context: string;
  cluster: string;
  server: string;
  user: string;
  /** The context's default namespace, when it sets one. */
  namespace?: string;
}

const HINT = 'give --kubeconfig FILE, or --state FILE to read a file instead of a cluster';

function kubeconfigFiles(choice: KubeconfigChoice): string[] {
  if (choice.file !== undefined) {
    if (!existsSync(choice.file))
      throw new NetpolError('E_KUBECONFIG', `--kubeconfig ${choice.file}: no such file`, { hint: HINT });
    return [choice.file];
  }
  const variable = choice.env?.KUBECONFIG ?? '';
  if (variable !== '') {
    const listed = variable.split(delimiter).filter((file) => file !== '');
    const files = listed.filter((file) => existsSync(file));
    if (files.length === 0)
      throw new NetpolError('E_KUBECONFIG', `KUBECONFIG names no file that exists (${listed.join(', ')})`, {
        hint: HINT,
      });
    return files;
  }
  const home = choice.env?.HOME ?? homedir();
  const file = join(home, '.kube', 'config');
  if (!existsSync(file))
    throw new NetpolError(
      'E_KUBECONFIG',
      `no kubeconfig: no --kubeconfig, KUBECONFIG is not set and ${file} does not exist`,
      { hint: HINT },
    );
  return [file];
}

function readFile(file: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromFile(file);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new NetpolError('E_KUBECONFIG', `cannot read kubeconfig ${file}: ${reason}`, {
      hint: 'kubectl config view shows what kubectl makes of it',
      cause: error,
    });
  }
  return kubeConfig;
}

/**
 * kubectl's merge of KUBECONFIG files: the first file to define a cluster, user or context name wins
 * (client-node's mergeConfig throws on a repeated name instead), and the first to set the current
 * context wins.
 */
function mergeInto(kubeConfig: KubeConfig, more: KubeConfig): void {
  for (const cluster of more.getClusters())
    if (kubeConfig.getCluster(cluster.name) === null) kubeConfig.addCluster(cluster);
  for (const user of more.getUsers()) if (kubeConfig.getUser(user.name) === null) kubeConfig.addUser(user);
  for (const context of more.getContexts())
    if (kubeConfig.getContextObject(context.name) === null) kubeConfig.addContext(context);
  if (!kubeConfig.getCurrentContext()) kubeConfig.setCurrentContext(more.getCurrentContext());
}

export function chooseContext(choice: KubeconfigChoice): ChosenContext {
  const files = kubeconfigFiles(choice);
  const [first, ...rest] = files.map(readFile);
  const kubeConfig = first as KubeConfig;
  for (const more of rest) mergeInto(kubeConfig, more);
  const where = files.join(', ');
  const names = kubeConfig.getContexts().map((c) => c.name);
  const known = names.length === 0 ? 'it defines no context' : `its contexts: ${names.join(', ')}`;
  const name = choice.context ?? kubeConfig.getCurrentContext();
  if (name === undefined || name === null || name === '')
    throw new NetpolError('E_KUBECONFIG', `${where} sets no current context`, {
      hint: `pick one with --context (${known})`,
    });
  const context = kubeConfig.getContextObject(name);
  if (context === null)
    throw new NetpolError(
      'E_KUBECONFIG',
      `no context "${name}" in ${where}${choice.context === undefined ? ' (its current-context)' : ''}`,
      { hint: known },
    );
  const cluster = kubeConfig.getCluster(context.cluster);
  if (cluster === null)
    throw new NetpolError(
      'E_KUBECONFIG',
      `context "${name}" names cluster "${context.cluster}", which ${where} does not define`,
      {
        hint: 'kubectl config get-clusters lists the clusters',
      },
    );
  if (kubeConfig.getUser(context.user) === null)
    throw new NetpolError(
      'E_KUBECONFIG',
      `context "${name}" names user "${context.user}", which ${where} does not define`,
      {
        hint: 'kubectl config view lists the users',
      },
    );
  kubeConfig.setCurrentContext(name);
  return {
    kubeConfig,
    files,
    context: name,
    cluster: context.cluster,
    server: cluster.server,
    user: context.user,
    ...(context.namespace === undefined || context.namespace === '' ? {} : { namespace: context.namespace }),
  };
}

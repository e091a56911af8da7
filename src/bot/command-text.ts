/**
 * Splits what follows `/netpol` into the cluster (`@prod`, optional), the subcommand, and the rest.
 * The subcommands are the registry's (command-registry.ts); anything else is a request of the policy
 * language (allow, deny, can...). Pure; the Slack markup is normalised by the request parser later.
 */
import { COMMAND_NAMES, type CommandName } from './command-registry';

export type Subcommand = CommandName | 'request';

export interface CommandText {
  cluster?: string;
  subcommand: Subcommand;
  /** The text after the subcommand word (for `request`: the whole request). */
  rest: string;
}

export function splitCommandText(raw: string): CommandText {
  let text = raw.trim();
  let cluster: string | undefined;
  const clusterMatch = /^@([a-z0-9][-a-z0-9]*)\s*/i.exec(text);
  if (clusterMatch !== null) {
    cluster = (clusterMatch[1] as string).toLowerCase();
    text = text.slice(clusterMatch[0].length);
  }
  const [first = '', ...others] = text.split(/\s+/);
  const word = first.toLowerCase();
  const withCluster = (value: CommandText): CommandText =>
    cluster === undefined ? value : { ...value, cluster };
  if (text === '') return withCluster({ subcommand: 'help', rest: '' });
  if ((COMMAND_NAMES as readonly string[]).includes(word)) {
    return withCluster({ subcommand: word as CommandName, rest: others.join(' ') });
  }
  return withCluster({ subcommand: 'request', rest: text });
}

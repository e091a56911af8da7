import { helpText } from '../core/request/help';
import {
  BOT_COMMANDS,
  CLUSTER_PREFIX,
  COMMANDS_HELP,
  handlerFor,
  HELP_LINES,
  REQUEST_LANGUAGE,
} from './command-registry';
import { splitCommandText } from './command-text';
import { botHelpText } from './commands-help';

/** `/netpol help`'s command list as it was written by hand before the registry: it must not move. */
const HAND_WRITTEN_HELP = `Commands:
  /netpol allow|deny|isolate ...          preview a policy change, then Submit it for approval (--audit 1h: report, drop nothing)
  /netpol can A reach B on P              who-can / what-can questions too: answered from the cluster
  /netpol show <namespace>                every policy there, isolation, who requested and approved ours
  /netpol explain <from> to <to> on <p>   the verdict, with the deciding policy and rule on each side
  /netpol revoke <namespace>/<policy>     remove a policy netpol manages (same approval)
  /netpol reject <request-id> <reason>    reject with a reason (the Reject button records none)
  /netpol pending                         open requests and failed applies (every cluster unless @named)
  /netpol history <namespace|request-id>  the audit trail
  /netpol suggest <namespace>             policies allowing exactly the traffic seen there: untick, then Request approval
  /netpol graph <namespace>               a picture of the flows seen there: allowed in green, blocked in red (PNG)
  /netpol mute <target> <duration>        hold back drop alerts (backend, frontend/nginx -> backend; 30m, 1h, 1d)
  /netpol unmute <target>                 drop alerts for that target again
  /netpol status                          workers, node agents, queues and Redis of every cluster
  /netpol @<cluster> ...                  name the cluster when several are configured
  /netpol help [topic]                    topics: commands, allow, deny, isolate, audit, query, selectors, ports, keywords, recipes`;

describe('the command registry', () => {
  it('generates the help users have always seen, byte for byte', () => {
    expect(COMMANDS_HELP).toBe(HAND_WRITTEN_HELP);
  });

  it.each(BOT_COMMANDS.map((command) => [command.name, command]))(
    '%s has a usage that starts with its name and a summary, and is listed in help',
    (name, command) => {
      expect(command.usage.syntax.split(' ')[0]).toBe(name);
      expect(command.usage.summary.length).toBeGreaterThan(0);
      expect(COMMANDS_HELP.split('\n')).toContain(
        `  /netpol ${command.usage.syntax.padEnd(32)}${command.usage.summary}`,
      );
    },
  );

  it('gives every command its own name, one the splitter recognises', () => {
    const names = BOT_COMMANDS.map((command) => command.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      expect(splitCommandText(`${name} x`).subcommand).toBe(name);
      expect(handlerFor(name)).not.toBe(REQUEST_LANGUAGE.handler);
    }
  });

  it('lists the request language first and the cluster prefix before help', () => {
    expect(HELP_LINES.slice(0, 2)).toEqual(REQUEST_LANGUAGE.usage);
    expect(HELP_LINES.at(-2)).toEqual(CLUSTER_PREFIX);
    expect(HELP_LINES.at(-1)?.syntax).toBe('help [topic]');
  });

  it('hands unknown words to the request language', () => {
    expect(splitCommandText('frobnicate the mesh').subcommand).toBe('request');
    expect(handlerFor('request')).toBe(REQUEST_LANGUAGE.handler);
    expect(handlerFor('frobnicate')).toBe(REQUEST_LANGUAGE.handler);
  });

  it('puts the commands above the language in help, alone for "commands", and the language for a topic', () => {
    expect(botHelpText(undefined, COMMANDS_HELP, helpText)).toBe(`${HAND_WRITTEN_HELP}\n\n${helpText()}`);
    expect(botHelpText('commands', COMMANDS_HELP, helpText)).toBe(HAND_WRITTEN_HELP);
    expect(botHelpText('ports', COMMANDS_HELP, helpText)).toBe(helpText('ports'));
  });
});

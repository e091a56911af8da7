/** The bot's own commands, shown above the request language in `/netpol help` (and alone as `help commands`). */
export const COMMANDS_HELP = `Commands:
  /netpol allow|deny|isolate ...          preview a policy change, then Submit it for approval
  /netpol can A reach B on P              who-can / what-can questions too: answered from the cluster
  /netpol show <namespace>                every policy there, isolation, who requested and approved ours
  /netpol explain <from> to <to> on <p>   the verdict, with the deciding policy and rule on each side
  /netpol revoke <namespace>/<policy>     remove a policy netpol manages (same approval)
  /netpol reject <request-id> <reason>    reject with a reason (the Reject button records none)
  /netpol pending                         open requests and failed applies
  /netpol history <namespace>             the audit trail
  /netpol @<cluster> ...                  name the cluster when several are configured
  /netpol help [topic]                    topics: commands, allow, deny, isolate, query, selectors, ports, keywords, recipes`;

export function botHelpText(topic: string | undefined, languageHelp: (topic?: string) => string): string {
  if (topic === 'commands') return COMMANDS_HELP;
  return topic === undefined ? `${COMMANDS_HELP}\n\n${languageHelp()}` : languageHelp(topic);
}

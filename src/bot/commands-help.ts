/**
 * The text of the bot's own commands, shown above the request language in `/netpol help` (and alone
 * as `help commands`). Generated from the command registry's usage lines (command-registry.ts), so
 * this module only lays them out.
 */

/** One line of help: what to type after `/netpol`, and what it does. */
export interface UsageLine {
  syntax: string;
  summary: string;
}

/** Summaries start in one column: the longest syntax plus room to breathe. */
const SYNTAX_WIDTH = 32;

export function formatCommandsHelp(lines: readonly UsageLine[]): string {
  const width = Math.max(SYNTAX_WIDTH, ...lines.map((line) => line.syntax.length + 2));
  return ['Commands:', ...lines.map((line) => `  /netpol ${line.syntax.padEnd(width)}${line.summary}`)].join(
    '\n',
  );
}

export function botHelpText(
  topic: string | undefined,
  commandsHelp: string,
  languageHelp: (topic?: string) => string,
): string {
  if (topic === 'commands') return commandsHelp;
  return topic === undefined ? `${commandsHelp}\n\n${languageHelp()}` : languageHelp(topic);
}

/**
 * The minimal subset of Slack Block Kit netpol posts, typed, with the limits Slack enforces and small
 * builders that never produce a block Slack would refuse (text is clipped to the field's limit as a
 * last resort; renderers truncate earlier, with a note). Plain data: no Slack SDK dependency.
 */

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface MrkdwnText {
  type: 'mrkdwn';
  text: string;
}

export type TextObject = PlainText | MrkdwnText;

export interface ConfirmDialog {
  title: PlainText;
  text: PlainText;
  confirm: PlainText;
  deny: PlainText;
  style?: 'primary' | 'danger';
}

export interface ButtonElement {
  type: 'button';
  action_id: string;
  text: PlainText;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmDialog;
}

export interface SectionBlock {
  type: 'section';
  block_id?: string;
  text?: TextObject;
  fields?: TextObject[];
  accessory?: CheckboxesElement;
}

/** One tickable choice (Slack: text and description at most 75 characters, value at most 150). */
export interface CheckboxOption {
  text: TextObject;
  value: string;
  description?: PlainText;
}

/** Checkboxes (issue 10, `/netpol suggest`): at most 10 options; their state comes with every click. */
export interface CheckboxesElement {
  type: 'checkboxes';
  action_id: string;
  options: CheckboxOption[];
  initial_options?: CheckboxOption[];
}

export interface HeaderBlock {
  type: 'header';
  block_id?: string;
  text: PlainText;
}

export interface DividerBlock {
  type: 'divider';
  block_id?: string;
}

export interface ContextBlock {
  type: 'context';
  block_id?: string;
  elements: TextObject[];
}

export interface ActionsBlock {
  type: 'actions';
  block_id?: string;
  elements: ButtonElement[];
}

export type Block = SectionBlock | HeaderBlock | DividerBlock | ContextBlock | ActionsBlock;

/** What every renderer returns: `text` is the notification and screen-reader fallback, never empty. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/** Slack's documented limits (REFERENCE.md §7), plus a total-size budget under msg_blocks_too_long. */
export const SLACK_LIMITS = Object.freeze({
  blocksPerMessage: 50,
  sectionTextChars: 3000,
  sectionFields: 10,
  sectionFieldChars: 2000,
  headerTextChars: 150,
  contextElements: 10,
  contextTextChars: 2000,
  actionsElements: 25,
  buttonTextChars: 75,
  buttonValueChars: 2000,
  confirmTitleChars: 100,
  confirmTextChars: 300,
  confirmButtonChars: 30,
  checkboxOptions: 10,
  optionTextChars: 75,
  optionValueChars: 150,
  /** Slack answers msg_blocks_too_long at an undocumented ~13k characters of blocks: stay well under. */
  messageBlockChars: 11000,
  /** Slack truncates `text` beyond 40k; a fallback this long helps nobody. */
  fallbackTextChars: 3000,
});

/** Cut to `max` characters with an ellipsis: the last resort, for text already escaped. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  // Never leave half an entity (&amp;) or half a mention (<@U1>) behind.
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && amp > cut.length - 6 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  const lt = cut.lastIndexOf('<');
  if (lt >= 0 && !cut.slice(lt).includes('>')) cut = cut.slice(0, lt);
  return `${cut}…`;
}

const nonEmpty = (text: string): string => (text.trim() === '' ? ' ' : text);

export function plain(text: string, max: number = SLACK_LIMITS.sectionTextChars): PlainText {
  return { type: 'plain_text', text: clip(nonEmpty(text), max) };
}

export function mrkdwn(text: string, max: number = SLACK_LIMITS.sectionTextChars): MrkdwnText {
  return { type: 'mrkdwn', text: clip(nonEmpty(text), max) };
}

export function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(text) };
}

export function fieldsSection(fields: string[]): SectionBlock {
  return {
    type: 'section',
    fields: fields.slice(0, SLACK_LIMITS.sectionFields).map((f) => mrkdwn(f, SLACK_LIMITS.sectionFieldChars)),
  };
}

export function header(text: string): HeaderBlock {
  return { type: 'header', text: plain(text, SLACK_LIMITS.headerTextChars) };
}

export function divider(): DividerBlock {
  return { type: 'divider' };
}

export function context(...texts: string[]): ContextBlock {
  return {
    type: 'context',
    elements: texts
      .slice(0, SLACK_LIMITS.contextElements)
      .map((t) => mrkdwn(t, SLACK_LIMITS.contextTextChars)),
  };
}

export function button(options: {
  actionId: string;
  text: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny: string; style?: 'primary' | 'danger' };
}): ButtonElement {
  if (options.value === '' || options.value.length > SLACK_LIMITS.buttonValueChars) {
    // The value is an id we chose: a bad one is a bug, not something to clip silently.
    throw new Error(
      `button ${options.actionId}: value must be 1..${SLACK_LIMITS.buttonValueChars} characters`,
    );
  }
  const el: ButtonElement = {
    type: 'button',
    action_id: options.actionId,
    text: plain(options.text, SLACK_LIMITS.buttonTextChars),
    value: options.value,
  };
  if (options.style !== undefined) el.style = options.style;
  if (options.confirm !== undefined) {
    const c = options.confirm;
    el.confirm = {
      title: plain(c.title, SLACK_LIMITS.confirmTitleChars),
      text: plain(c.text, SLACK_LIMITS.confirmTextChars),
      confirm: plain(c.confirm, SLACK_LIMITS.confirmButtonChars),
      deny: plain(c.deny, SLACK_LIMITS.confirmButtonChars),
    };
    if (c.style !== undefined) el.confirm.style = c.style;
  }
  return el;
}

export function actions(blockId: string, elements: ButtonElement[]): ActionsBlock {
  return { type: 'actions', block_id: blockId, elements: elements.slice(0, SLACK_LIMITS.actionsElements) };
}

/** A message: the fallback is clipped to a sane length and never empty. */
export function message(text: string, blocks: Block[]): SlackMessage {
  const fallback = text.trim() === '' ? 'netpol' : clip(text, SLACK_LIMITS.fallbackTextChars);
  return { text: fallback, blocks: blocks.slice(0, SLACK_LIMITS.blocksPerMessage) };
}

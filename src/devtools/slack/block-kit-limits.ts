/**
 * The message limits Slack's Web API enforces, as a pure check the stand-in runs before accepting a
 * chat.postMessage / chat.update / chat.postEphemeral or a response_url post. It reproduces the error
 * codes the real API answers (`no_text`, `invalid_blocks`, `invalid_blocks_format`,
 * `invalid_attachments`, `msg_too_long`, `too_many_attachments`) and, for `invalid_blocks`, the `errors` list with JSON pointers, phrased
 * like Slack's.
 *
 * Deliberately not modelled: `msg_blocks_too_long`, which Slack applies at an undocumented total size
 * that varies with block types (around 13k characters).
 */

export const SLACK_LIMITS = Object.freeze({
  blocksPerMessage: 50,
  sectionTextChars: 3000,
  sectionFields: 10,
  sectionFieldChars: 2000,
  headerTextChars: 150,
  markdownBlockChars: 12000,
  actionsElements: 25,
  contextElements: 10,
  buttonTextChars: 75,
  buttonValueChars: 2000,
  buttonUrlChars: 3000,
  actionIdChars: 255,
  checkboxOptions: 10,
  optionTextChars: 75,
  optionValueChars: 150,
  blockIdChars: 255,
  messageTextChars: 40000,
  attachmentsPerMessage: 100,
});

export interface MessageContent {
  text?: unknown;
  blocks?: unknown;
  attachments?: unknown;
}

export interface MessageRejection {
  error:
    | 'no_text'
    | 'invalid_blocks'
    | 'invalid_blocks_format'
    | 'invalid_attachments'
    | 'msg_too_long'
    | 'too_many_attachments';
  /** Present for invalid_blocks, e.g. "must be less than 3001 characters [json-pointer:/blocks/0/text/text]". */
  errors?: string[];
}

const KNOWN_BLOCK_TYPES = new Set([
  'section',
  'divider',
  'header',
  'actions',
  'context',
  'image',
  'input',
  'rich_text',
  'markdown',
  'file',
  'video',
  'table',
  'context_actions',
]);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkMessageContent(content: MessageContent): MessageRejection | undefined {
  const { text, blocks, attachments } = content;
  if (blocks !== undefined && !Array.isArray(blocks)) return { error: 'invalid_blocks_format' };
  if (attachments !== undefined && !Array.isArray(attachments)) return { error: 'invalid_attachments' };
  const hasText = typeof text === 'string' && text.trim() !== '';
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  const hasAttachments = Array.isArray(attachments) && attachments.length > 0;
  if (!hasText && !hasBlocks && !hasAttachments) return { error: 'no_text' };
  if (typeof text === 'string' && text.length > SLACK_LIMITS.messageTextChars)
    return { error: 'msg_too_long' };
  if (Array.isArray(attachments) && attachments.length > SLACK_LIMITS.attachmentsPerMessage) {
    return { error: 'too_many_attachments' };
  }
  if (Array.isArray(blocks)) {
    const errors = blockErrors(blocks);
    if (errors.length > 0) return { error: 'invalid_blocks', errors };
  }
  return undefined;
}

function blockErrors(blocks: unknown[]): string[] {
  const errors: string[] = [];
  const at = (pointer: string, msg: string): void => void errors.push(`${msg} [json-pointer:${pointer}]`);
  if (blocks.length > SLACK_LIMITS.blocksPerMessage) {
    at('/blocks', `no more than ${SLACK_LIMITS.blocksPerMessage} items allowed`);
    return errors;
  }
  const blockIds = new Set<string>();
  blocks.forEach((block, i) => {
    const p = `/blocks/${i}`;
    // Slack wants action_ids unique within their block, block_ids unique within the message.
    const actionIds = new Set<string>();
    if (!isObject(block) || typeof block.type !== 'string') return at(p, 'missing required field: type');
    if (!KNOWN_BLOCK_TYPES.has(block.type)) return at(`${p}/type`, `unsupported type: ${block.type}`);
    if (block.block_id !== undefined) {
      if (typeof block.block_id !== 'string' || block.block_id.length > SLACK_LIMITS.blockIdChars) {
        at(`${p}/block_id`, `must be less than ${SLACK_LIMITS.blockIdChars + 1} characters`);
      } else if (blockIds.has(block.block_id)) {
        at(`${p}/block_id`, `duplicate block_id: ${block.block_id}`);
      } else {
        blockIds.add(block.block_id);
      }
    }
    switch (block.type) {
      case 'section':
        checkSection(block, p, at);
        break;
      case 'header':
        checkTextObject(block.text, `${p}/text`, SLACK_LIMITS.headerTextChars, at, ['plain_text']);
        break;
      case 'markdown':
        if (typeof block.text !== 'string' || block.text.length === 0)
          at(`${p}/text`, 'must be a non-empty string');
        else if (block.text.length > SLACK_LIMITS.markdownBlockChars) {
          at(`${p}/text`, `must be less than ${SLACK_LIMITS.markdownBlockChars + 1} characters`);
        }
        break;
      case 'actions':
        checkElements(block, p, SLACK_LIMITS.actionsElements, at, (el, ep) =>
          checkInteractive(el, ep, actionIds, at),
        );
        break;
      case 'context':
        checkElements(block, p, SLACK_LIMITS.contextElements, at, () => undefined);
        break;
      default:
        break;
    }
    if (isObject(block.accessory)) checkInteractive(block.accessory, `${p}/accessory`, actionIds, at);
  });
  return errors;
}

type At = (pointer: string, msg: string) => void;

function checkSection(block: Json, p: string, at: At): void {
  if (block.text === undefined && block.fields === undefined) {
    at(p, 'must provide either text or fields');
    return;
  }
  if (block.text !== undefined) checkTextObject(block.text, `${p}/text`, SLACK_LIMITS.sectionTextChars, at);
  if (block.fields !== undefined) {
    if (!Array.isArray(block.fields) || block.fields.length === 0)
      return at(`${p}/fields`, 'must be a non-empty array');
    if (block.fields.length > SLACK_LIMITS.sectionFields) {
      return at(`${p}/fields`, `no more than ${SLACK_LIMITS.sectionFields} items allowed`);
    }
    block.fields.forEach((f, j) =>
      checkTextObject(f, `${p}/fields/${j}`, SLACK_LIMITS.sectionFieldChars, at),
    );
  }
}

function checkTextObject(
  obj: unknown,
  p: string,
  maxChars: number,
  at: At,
  types: string[] = ['plain_text', 'mrkdwn'],
): void {
  if (!isObject(obj)) return at(p, 'must be a text object');
  if (typeof obj.type !== 'string' || !types.includes(obj.type))
    return at(`${p}/type`, `must be one of ${types.join(', ')}`);
  if (typeof obj.text !== 'string' || obj.text.length === 0)
    return at(`${p}/text`, 'must be at least 1 character');
  if (obj.text.length > maxChars) at(`${p}/text`, `must be less than ${maxChars + 1} characters`);
}

function checkElements(
  block: Json,
  p: string,
  max: number,
  at: At,
  each: (el: unknown, ep: string) => void,
): void {
  if (!Array.isArray(block.elements) || block.elements.length === 0) {
    return at(`${p}/elements`, 'must be a non-empty array');
  }
  if (block.elements.length > max) return at(`${p}/elements`, `no more than ${max} items allowed`);
  block.elements.forEach((el, j) => each(el, `${p}/elements/${j}`));
}

function checkInteractive(el: unknown, p: string, actionIds: Set<string>, at: At): void {
  if (!isObject(el) || typeof el.type !== 'string') return at(p, 'missing required field: type');
  if (el.action_id !== undefined) {
    if (typeof el.action_id !== 'string' || el.action_id.length > SLACK_LIMITS.actionIdChars) {
      at(`${p}/action_id`, `must be less than ${SLACK_LIMITS.actionIdChars + 1} characters`);
    } else if (actionIds.has(el.action_id)) {
      at(`${p}/action_id`, `duplicate action_id: ${el.action_id}`);
    } else {
      actionIds.add(el.action_id);
    }
  }
  if (el.type === 'checkboxes') return checkCheckboxes(el, p, at);
  if (el.type !== 'button') return;
  checkTextObject(el.text, `${p}/text`, SLACK_LIMITS.buttonTextChars, at, ['plain_text']);
  if (
    el.value !== undefined &&
    (typeof el.value !== 'string' || el.value.length > SLACK_LIMITS.buttonValueChars)
  ) {
    at(`${p}/value`, `must be less than ${SLACK_LIMITS.buttonValueChars + 1} characters`);
  }
  if (el.url !== undefined && (typeof el.url !== 'string' || el.url.length > SLACK_LIMITS.buttonUrlChars)) {
    at(`${p}/url`, `must be less than ${SLACK_LIMITS.buttonUrlChars + 1} characters`);
  }
  if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') {
    at(`${p}/style`, 'must be one of primary, danger');
  }
}

/** Checkboxes: 1 to 10 options, each a short text and value; initial options among them. */
function checkCheckboxes(el: Json, p: string, at: At): void {
  if (!Array.isArray(el.options) || el.options.length === 0)
    return at(`${p}/options`, 'must be a non-empty array');
  if (el.options.length > SLACK_LIMITS.checkboxOptions)
    return at(`${p}/options`, `no more than ${SLACK_LIMITS.checkboxOptions} items allowed`);
  const values = new Set<unknown>();
  el.options.forEach((option: unknown, j: number) => {
    const op = `${p}/options/${j}`;
    if (!isObject(option)) return at(op, 'must be an option object');
    checkTextObject(option.text, `${op}/text`, SLACK_LIMITS.optionTextChars, at);
    if (typeof option.value !== 'string' || option.value.length > SLACK_LIMITS.optionValueChars)
      at(`${op}/value`, `must be less than ${SLACK_LIMITS.optionValueChars + 1} characters`);
    if (option.description !== undefined)
      checkTextObject(option.description, `${op}/description`, SLACK_LIMITS.optionTextChars, at, [
        'plain_text',
      ]);
    values.add(option.value);
  });
  if (el.initial_options === undefined) return;
  if (!Array.isArray(el.initial_options) || el.initial_options.length === 0)
    return at(`${p}/initial_options`, 'must be a non-empty array');
  el.initial_options.forEach((option: unknown, j: number) => {
    if (!isObject(option) || !values.has(option.value))
      at(`${p}/initial_options/${j}`, 'must match one of the options');
  });
}

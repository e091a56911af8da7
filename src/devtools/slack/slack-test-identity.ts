/**
 * The one fictional workspace every Slack stand-in and request builder in the tests agrees on: team,
 * app, bot user, tokens and signing secret. IDs follow Slack's shapes (T…, A…, U…, B…, C…) so code
 * that checks prefixes behaves as it would against the real service.
 *
 * Values are constants; tests that need a second workspace pass their own values instead of mutating
 * these.
 */

export interface SlackTeamIdentity {
  readonly id: string;
  readonly domain: string;
  readonly name: string;
}

export interface SlackBotIdentity {
  /** The bot's user ID, what `auth.test` answers as `user_id`. */
  readonly userId: string;
  readonly botId: string;
  readonly appId: string;
  readonly name: string;
  readonly token: string;
}

export const TEST_TEAM: SlackTeamIdentity = Object.freeze({
  id: 'T0NETPOL01',
  domain: 'netpol-test',
  name: 'Netpol Test',
});

export const TEST_BOT: SlackBotIdentity = Object.freeze({
  userId: 'U0NETPOLBOT',
  botId: 'B0NETPOLBOT',
  appId: 'A0NETPOLAPP',
  name: 'netpol',
  token: 'xoxb-0000000001-0000000002-netpoltesttoken',
});

/** The app's signing secret in tests: 32 hex characters, as Slack issues them. */
export const TEST_SIGNING_SECRET = '8f742231b10e8888abcd99e7a1c685a5';

/** The deprecated verification token Slack still puts in every payload; Bolt ignores it. */
export const TEST_VERIFICATION_TOKEN = 'gIkuvaNzQIHg97ATvDxqgjtO';

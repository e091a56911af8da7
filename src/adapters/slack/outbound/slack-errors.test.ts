import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import { classifySlackError } from './slack-errors';

const platform = (error: string) => new WebAPIPlatformError({ ok: false, error });

describe('classifySlackError', () => {
  it('reads Retry-After from a rate-limited error', () => {
    expect(classifySlackError(new WebAPIRateLimitedError(3))).toEqual({
      kind: 'rate-limited',
      retryAfterMs: 3000,
    });
  });

  it.each([
    'channel_not_found',
    'not_in_channel',
    'invalid_auth',
    'invalid_blocks',
    'msg_too_long',
    'no_text',
  ])('treats %s as permanent', (code) => {
    expect(classifySlackError(platform(code))).toEqual({ kind: 'permanent', slackError: code });
  });

  it('treats an unknown platform error as permanent and Slack internal ones as transient', () => {
    expect(classifySlackError(platform('brand_new_error'))).toMatchObject({ kind: 'permanent' });
    expect(classifySlackError(platform('internal_error'))).toMatchObject({ kind: 'transient' });
    expect(classifySlackError(platform('ratelimited'))).toMatchObject({ kind: 'rate-limited' });
  });

  it('retries 5xx and network errors, not other HTTP statuses', () => {
    expect(classifySlackError(new WebAPIHTTPError(503, 'Service Unavailable', {}))).toEqual({
      kind: 'transient',
      slackError: 'http_error',
      statusCode: 503,
    });
    expect(classifySlackError(new WebAPIHTTPError(404, 'Not Found', {}))).toEqual({
      kind: 'permanent',
      slackError: 'http_404',
    });
    expect(classifySlackError(new WebAPIRequestError(new Error('ECONNRESET')))).toMatchObject({
      kind: 'transient',
      slackError: 'request_error',
    });
  });

  it('retries anything it does not recognise', () => {
    expect(classifySlackError(new TypeError('boom'))).toMatchObject({ kind: 'transient' });
    expect(classifySlackError(undefined)).toMatchObject({ kind: 'transient' });
  });
});

import { Writable } from 'node:stream';
import { createLogger, maskUrlPassword } from './logger';

const BOT_TOKEN = 'xoxb-1111-2222-botsecret';
const APP_TOKEN = 'xapp-1-A111-333-appsecret';
const SIGNING_SECRET = '8f14e45fceea167a5a36dedd4bea2543';
const REDIS_PASSWORD = 's3cr3t-redis-pw';
const BEARER = 'Bearer eyJhbGciOiJSUzI1NiJ9.kube-token';
const PASSWORD = 'hunter2-password';
const SECRETS = [BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, REDIS_PASSWORD, BEARER, PASSWORD];

/** A logger whose lines are collected as text; pino writes synchronously to a plain stream. */
function capture(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: createLogger({ service: 'netpol-test', level: 'info', destination }), lines };
}

describe('createLogger', () => {
  test('no secret reaches a line, wherever it sits', () => {
    const { log, lines } = capture();
    log.info(
      {
        botToken: BOT_TOKEN,
        token: BOT_TOKEN,
        config: {
          slack: { botToken: BOT_TOKEN, appToken: APP_TOKEN, signingSecret: SIGNING_SECRET },
          redisUrl: `redis://netpol:${REDIS_PASSWORD}@redis.netpol.svc:6379/0`,
        },
        redisUrl: `redis://:${REDIS_PASSWORD}@10.0.0.7:6379`,
        req: { headers: { authorization: BEARER } },
        headers: { authorization: BEARER },
        password: PASSWORD,
        redis: { password: PASSWORD },
      },
      'starting',
    );
    log.child({ component: 'slack' }).info({ appToken: APP_TOKEN, signingSecret: SIGNING_SECRET }, 'child');
    expect(lines).toHaveLength(2);
    for (const line of lines) for (const secret of SECRETS) expect(line).not.toContain(secret);
  });

  test('a Redis URL keeps its user, host and port; only the password is masked', () => {
    const { log, lines } = capture();
    log.info({ redisUrl: `redis://netpol:${REDIS_PASSWORD}@redis.netpol.svc:6379/0` }, 'connecting');
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(line.redisUrl).toBe('redis://netpol:[redacted]@redis.netpol.svc:6379/0');
    expect(line.service).toBe('netpol-test');
    expect(line.msg).toBe('connecting');
  });

  test('values that are not secrets are left alone', () => {
    const { log, lines } = capture();
    log.info({ redisUrl: 'redis://127.0.0.1:6379', namespace: 'backend', tokenCount: 3 }, 'ready');
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      namespace: 'backend',
      tokenCount: 3,
    });
  });
});

describe('maskUrlPassword', () => {
  test.each([
    ['redis://:pw@host:6379', 'redis://:[redacted]@host:6379'],
    ['rediss://user:pw@host:6380/2', 'rediss://user:[redacted]@host:6380/2'],
    ['redis://user:p@ss/w@host', 'redis://user:[redacted]@host'],
    ['redis://user@host', 'redis://user@host'],
    ['redis://host:6379', 'redis://host:6379'],
    ['not a url', 'not a url'],
  ])('%s -> %s', (url, masked) => {
    expect(maskUrlPassword(url)).toBe(masked);
  });
});

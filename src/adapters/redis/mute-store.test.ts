import { isNetpolError } from '../../core/errors';
import type { AlertGroup } from './alert-store';
import { muteMatches, muteTargetText, parseMuteCommand, parseMuteTarget } from './mute-store';

const flow: AlertGroup = {
  cluster: 'prod',
  direction: 'ingress',
  source: { kind: 'workload', namespace: 'frontend', name: 'nginx', selector: { app: 'nginx' } },
  destination: { kind: 'workload', namespace: 'backend', name: 'api', selector: { app: 'api' } },
  port: 8080,
  protocol: 6,
};

function usageError(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    if (isNetpolError(error)) return `${error.code}: ${error.message} (${error.hint ?? ''})`;
    throw error;
  }
  throw new Error('no error');
}

describe('mute commands', () => {
  it('reads a namespace, a workload and a flow, with the duration last', () => {
    expect(parseMuteCommand('backend 1h')).toEqual({
      target: { kind: 'namespace', end: { namespace: 'backend' } },
      durationMs: 3_600_000,
    });
    const flowMute = parseMuteCommand('frontend/nginx -> backend 1d');
    expect(flowMute.durationMs).toBe(86_400_000);
    expect(muteTargetText(flowMute.target)).toBe('frontend/nginx -> backend');
    // Slack sends ">" as "&gt;"; "to" reads as "->".
    expect(parseMuteTarget('frontend/nginx -&gt; backend')).toEqual(flowMute.target);
    expect(parseMuteTarget('frontend/nginx to backend')).toEqual(flowMute.target);
    expect(muteTargetText(parseMuteTarget('backend/api-to-db'))).toBe('backend/api-to-db');
  });

  it('names what is wrong', () => {
    expect(usageError(() => parseMuteCommand('backend'))).toMatch(/E_USAGE: mute needs a duration last/);
    expect(usageError(() => parseMuteCommand('backend forever'))).toMatch(
      /E_USAGE: mute needs a duration last/,
    );
    expect(usageError(() => parseMuteCommand('backend 45d'))).toMatch(
      /E_INVALID_VALUE: "45d" is not a duration/,
    );
    expect(usageError(() => parseMuteCommand('Backend_1 1h'))).toMatch(/"Backend_1" is not a namespace/);
    expect(usageError(() => parseMuteTarget(''))).toMatch(/say what to mute/);
    expect(usageError(() => parseMuteTarget('a -> b -> c'))).toMatch(/is not something to mute/);
  });

  it('a namespace mutes flows with either end there; a flow mutes that direction only', () => {
    expect(muteMatches(parseMuteTarget('backend'), flow)).toBe(true);
    expect(muteMatches(parseMuteTarget('frontend'), flow)).toBe(true);
    expect(muteMatches(parseMuteTarget('payments'), flow)).toBe(false);
    expect(muteMatches(parseMuteTarget('backend/api'), flow)).toBe(true);
    expect(muteMatches(parseMuteTarget('backend/db'), flow)).toBe(false);
    expect(muteMatches(parseMuteTarget('frontend/nginx -> backend'), flow)).toBe(true);
    expect(muteMatches(parseMuteTarget('frontend -> backend/api'), flow)).toBe(true);
    expect(muteMatches(parseMuteTarget('backend -> frontend'), flow)).toBe(false);
  });
});

import { formatRequest } from './format-request';
import { parseRequest } from './parser';
import type { Request } from './request';

function withoutSpans<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'span' ? undefined : v))) as T;
}

/** What the canonical form is read back as: the same request, with "and" resolved to "|". */
function canonicalMeaning(request: Request): Request {
  const r = withoutSpans(request);
  return r.verb === 'allow' ? { ...r, andAsOr: false } : r;
}

describe('formatRequest', () => {
  it.each([
    ['allow frontend nginx to backend', 'allow frontend/nginx to backend/* on any'],
    [
      'allow frontend app=nginx to backend app=api on tcp/8080',
      'allow frontend/app=nginx to backend/app=api on tcp/8080',
    ],
    ['allow backend to 10.0.0.0/16 port 5432', 'allow backend/* to 10.0.0.0/16 on tcp/5432'],
    ['allow b/x from a', 'allow a/* to b/x on any'],
    ['allow search and api to db', 'allow search/* | api/* to db/* on any'],
    ['allow a or b | c to d both sides', 'allow a/* | b/* | c/* to d/* on any both-sides'],
    ['allow * to *', 'allow */* to */* on any'],
    ['allow all to dns/* on dns', 'allow all to dns/* on udp/53,tcp/53'],
    [
      'allow a to DNS | World on 80, UDP/53, 8000 - 8100, http, sctp',
      'allow a/* to dns | world on tcp/80,udp/53,tcp/8000-8100,tcp/http,sctp',
    ],
    ['allow a/canary to b/canary=*', 'allow a/canary to b/canary=* on any'],
    ['allow a/app=web,canary,!legacy to b/k==v,k2!=*', 'allow a/app=web,canary,!legacy to b/k=v,!k2 on any'],
    ['allow a/env IN (x, y),tier notin (z) to b', 'allow a/env in (x,y),tier notin (z) to b/* on any'],
    ['allow a/app="" to b/k in ("",x)', 'allow a/app="" to b/k in ("",x) on any'],
    [
      'allow ns(team)/* to ns(team=ops,env in (a,b)) web',
      'allow ns(team)/* to ns(team=ops,env in (a,b))/web on any',
    ],
    ['allow ns()/x to b', 'allow */x to b/* on any'],
    ['allow a/Deployment/web to b/cj/nightly', 'allow a/deploy/web to b/cronjob/nightly on any'],
    ['allow a sts/db-0 to b ds/agent', 'allow a/sts/db-0 to b/ds/agent on any'],
    [
      'allow a/rs/x | a/po/y | a/service/z | a/job/j to b',
      'allow a/rs/x | a/pod/y | a/svc/z | a/job/j to b/* on any',
    ],
    [
      'allow 0.0.0.0/0 except 10.0.0.0/8, 192.168.0.0/16 to FD00::1',
      'allow 0.0.0.0/0 except 10.0.0.0/8,192.168.0.0/16 to fd00::1/128 on any',
    ],
    ['allow a to b on 53/udp', 'allow a/* to b/* on udp/53'],
    ['deny egress from ns foo except dns', 'deny egress in foo except dns'],
    ['deny ingress for a/app=web', 'deny ingress to a/app=web'],
    ['deny egress for a/app=web', 'deny egress from a/app=web'],
    [
      'deny both to a/app=web except b on 80 or cluster',
      'deny all for a/app=web except b/* on tcp/80 | cluster',
    ],
    ['isolate NS backend', 'isolate backend'],
    ['can frontend/nginx reach backend/api on 8080?', 'can frontend/nginx reach backend/api on tcp/8080'],
    ['can 10.0.0.1 reach b on any', 'can 10.0.0.1/32 reach b/*'],
    ['who can reach backend db?', 'who can reach backend/db'],
    ['what can frontend web reach on udp/53', 'what can frontend/web reach on udp/53'],
    ['help', 'help'],
    ['help Keyword', 'help keywords'],
  ])('%s → %s', (input, canonical) => {
    expect(formatRequest(parseRequest(input))).toBe(canonical);
  });

  it('reads the canonical form back to the same request, and is idempotent', () => {
    for (const input of [
      'allow search and api to db on dns',
      'allow a/example.com/x,y notin (z) | ns(k)/* | 10.0.0.0/8 except 10.1.0.0/16 | all/to to b both-sides',
      'deny all in default except public on 443 | 0.0.0.0/0 except 10.0.0.0/8 | a/deploy/b',
      'can fd00::/8 except fd00::/16 reach a/pod/x on tcp/1-65535',
    ]) {
      const first = parseRequest(input);
      const canonical = formatRequest(first);
      const again = parseRequest(canonical);
      expect(withoutSpans(again)).toEqual(canonicalMeaning(first));
      expect(formatRequest(again)).toBe(canonical);
    }
  });

  it('prints ports in the order given, with the protocol, and "on any" only on allow', () => {
    expect(formatRequest(parseRequest('allow a to b on 443,80'))).toBe('allow a/* to b/* on tcp/443,tcp/80');
    expect(formatRequest(parseRequest('deny egress in a except b on any'))).toBe(
      'deny egress in a except b/*',
    );
  });
});

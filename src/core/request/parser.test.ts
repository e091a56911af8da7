import { NetpolError, type ErrorCode } from '../errors';
import { normalizeInput } from './normalize-input';
import { parseRequest } from './parser';
import type { AllowRequest, DenyRequest, EndpointRef, PeerRef, Request } from './request';

/** The request without its spans, for structural comparison. */
function bare<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'span' ? undefined : v))) as T;
}

function parse(text: string): Request {
  return bare(parseRequest(text));
}

function allow(text: string): AllowRequest {
  const r = parse(text);
  if (r.verb !== 'allow') throw new Error(`not an allow: ${text}`);
  return r;
}

function deny(text: string): DenyRequest {
  const r = parse(text);
  if (r.verb !== 'deny') throw new Error(`not a deny: ${text}`);
  return r;
}

const ep = (namespace: EndpointRef['namespace'], pods: EndpointRef['pods']): PeerRef =>
  bare({ type: 'endpoint', namespace, pods, span: { start: 0, end: 0 } }) as PeerRef;
const ns = (name: string) => ({ kind: 'name', name }) as EndpointRef['namespace'];
const allPods = { kind: 'all' } as EndpointRef['pods'];
const sel = (...requirements: unknown[]) => ({ kind: 'selector', requirements }) as EndpointRef['pods'];
const word = (w: string) => ({ kind: 'bare', word: w }) as EndpointRef['pods'];

function failure(text: string): NetpolError {
  try {
    parseRequest(text);
  } catch (error) {
    if (error instanceof NetpolError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

/** The error's code, and the word its column points at (in the normalised text). */
function expectError(text: string, code: ErrorCode, at: string, message?: RegExp): NetpolError {
  const error = failure(text);
  expect(error.code).toBe(code);
  const normalized = normalizeInput(text);
  const column = error.column as number;
  expect(column).toBeGreaterThanOrEqual(1);
  expect(normalized.slice(column - 1, column - 1 + at.length)).toBe(at);
  if (at !== '' && code !== 'E_UNSUPPORTED') expect(error.message).toContain(at);
  if (message !== undefined) expect(error.message).toMatch(message);
  expect(error.message).not.toMatch(/\n/);
  expect(error.hint).toBeTruthy();
  return error;
}

describe('parseRequest: allow', () => {
  it('reads the space form and the slash form of an endpoint alike', () => {
    const expected = [ep(ns('frontend'), word('nginx'))];
    expect(allow('allow frontend nginx to backend').from).toEqual(expected);
    expect(allow('allow frontend/nginx to backend').from).toEqual(expected);
    expect(allow('allow frontend nginx to backend').to).toEqual([ep(ns('backend'), allPods)]);
    expect(allow('allow frontend to backend/*').to).toEqual([ep(ns('backend'), allPods)]);
    expect(allow('allow frontend to backend *').to).toEqual([ep(ns('backend'), allPods)]);
  });

  it('reads selectors with every operator', () => {
    expect(allow('allow frontend app=nginx to backend').from).toEqual([
      ep(ns('frontend'), sel({ key: 'app', op: '=', value: 'nginx' })),
    ]);
    expect(allow('allow backend/app=api,tier=web to x').from).toEqual([
      ep(ns('backend'), sel({ key: 'app', op: '=', value: 'api' }, { key: 'tier', op: '=', value: 'web' })),
    ]);
    expect(allow('allow a/k1==v,k2!=v,k3 in (x, y),k4 notin (z),!k5,k6=*,k7,k8!=* to b').from[0]).toEqual(
      ep(
        ns('a'),
        sel(
          { key: 'k1', op: '=', value: 'v' },
          { key: 'k2', op: '!=', value: 'v' },
          { key: 'k3', op: 'in', values: ['x', 'y'] },
          { key: 'k4', op: 'notin', values: ['z'] },
          { key: 'k5', op: '!exists' },
          { key: 'k6', op: 'exists' },
          { key: 'k7', op: 'exists' },
          { key: 'k8', op: '!exists' },
        ),
      ),
    );
  });

  it('reads a bare key among requirements as "exists", and a lone bare word as a name', () => {
    expect(allow('allow a/app=web,canary to b').from[0]).toEqual(
      ep(ns('a'), sel({ key: 'app', op: '=', value: 'web' }, { key: 'canary', op: 'exists' })),
    );
    expect(allow('allow a/canary,app=web to b').from[0]).toEqual(
      ep(ns('a'), sel({ key: 'canary', op: 'exists' }, { key: 'app', op: '=', value: 'web' })),
    );
    expect(allow('allow a/canary to b').from[0]).toEqual(ep(ns('a'), word('canary')));
    expect(allow('allow a canary to b').from[0]).toEqual(ep(ns('a'), word('canary')));
  });

  it('accepts IN and NOTIN case-insensitively, spaced or not', () => {
    expect(allow('allow a/env IN(prod,staging) to b').from[0]).toEqual(
      ep(ns('a'), sel({ key: 'env', op: 'in', values: ['prod', 'staging'] })),
    );
    expect(allow('allow a env NotIn ( dev ) to b').from[0]).toEqual(
      ep(ns('a'), sel({ key: 'env', op: 'notin', values: ['dev'] })),
    );
  });

  it('reads an empty label value only when quoted', () => {
    expect(allow('allow a/app="" to b').from[0]).toEqual(
      ep(ns('a'), sel({ key: 'app', op: '=', value: '' })),
    );
    expect(allow('allow a/app= "web" to b').from[0]).toEqual(
      ep(ns('a'), sel({ key: 'app', op: '=', value: 'web' })),
    );
    expect(allow('allow a/app=to to b').from[0]).toEqual(
      ep(ns('a'), sel({ key: 'app', op: '=', value: 'to' })),
    );
  });

  it('reads label keys with a DNS prefix, never as a namespace', () => {
    expect(allow('allow monitoring/app.kubernetes.io/name=prometheus to backend on 9090').from[0]).toEqual(
      ep(ns('monitoring'), sel({ key: 'app.kubernetes.io/name', op: '=', value: 'prometheus' })),
    );
    expect(allow('allow monitoring app.kubernetes.io/name=prometheus to backend').from[0]).toEqual(
      ep(ns('monitoring'), sel({ key: 'app.kubernetes.io/name', op: '=', value: 'prometheus' })),
    );
    expect(allow('allow a/app=x,example.com/tier in (web) to b').from[0]).toEqual(
      ep(
        ns('a'),
        sel({ key: 'app', op: '=', value: 'x' }, { key: 'example.com/tier', op: 'in', values: ['web'] }),
      ),
    );
    expect(allow('allow a/example.com/canary to b').from[0]).toEqual(
      ep(ns('a'), sel({ key: 'example.com/canary', op: 'exists' })),
    );
    expect(allow('allow a/job/tier=web,deploy/x to b').from[0]).toEqual(
      ep(ns('a'), sel({ key: 'job/tier', op: '=', value: 'web' }, { key: 'deploy/x', op: 'exists' })),
    );
    expect(allow('allow a/job/tier to b').from[0]).toEqual(
      ep(ns('a'), { kind: 'named', objectKind: 'job', name: 'tier' } as EndpointRef['pods']),
    );
    expect(allow('allow a/mycorp/tier=web to b').from[0]).toEqual(
      ep(ns('a'), sel({ key: 'mycorp/tier', op: '=', value: 'web' })),
    );
  });

  it('reads every namespace form', () => {
    expect(allow('allow */* to b').from[0]).toEqual(ep({ kind: 'all' } as EndpointRef['namespace'], allPods));
    expect(allow('allow * to b').from[0]).toEqual(ep({ kind: 'all' } as EndpointRef['namespace'], allPods));
    expect(allow('allow */app=x to b').from[0]).toEqual(
      ep({ kind: 'all' } as EndpointRef['namespace'], sel({ key: 'app', op: '=', value: 'x' })),
    );
    expect(allow('allow * app=x to b').from[0]).toEqual(
      ep({ kind: 'all' } as EndpointRef['namespace'], sel({ key: 'app', op: '=', value: 'x' })),
    );
    expect(allow('allow ns(purpose=production)/* to b').from[0]).toEqual(
      ep(
        {
          kind: 'selector',
          requirements: [{ key: 'purpose', op: '=', value: 'production' }],
        } as EndpointRef['namespace'],
        allPods,
      ),
    );
    expect(allow('allow NS(team=operations)/type=monitoring to b').from[0]).toEqual(
      ep(
        {
          kind: 'selector',
          requirements: [{ key: 'team', op: '=', value: 'operations' }],
        } as EndpointRef['namespace'],
        sel({ key: 'type', op: '=', value: 'monitoring' }),
      ),
    );
    expect(allow('allow ns(team) to b').from[0]).toEqual(
      ep(
        { kind: 'selector', requirements: [{ key: 'team', op: 'exists' }] } as EndpointRef['namespace'],
        allPods,
      ),
    );
    expect(allow('allow ns()/* to b').from[0]).toEqual(
      ep({ kind: 'all' } as EndpointRef['namespace'], allPods),
    );
    expect(allow('allow a to ns(namespace in (frontend,backend))/*').to[0]).toEqual(
      ep(
        {
          kind: 'selector',
          requirements: [{ key: 'namespace', op: 'in', values: ['frontend', 'backend'] }],
        } as EndpointRef['namespace'],
        allPods,
      ),
    );
  });

  it.each([
    ['deploy', 'deployment'],
    ['deployment', 'deployment'],
    ['sts', 'statefulset'],
    ['statefulset', 'statefulset'],
    ['ds', 'daemonset'],
    ['daemonset', 'daemonset'],
    ['rs', 'replicaset'],
    ['replicaset', 'replicaset'],
    ['job', 'job'],
    ['cronjob', 'cronjob'],
    ['cj', 'cronjob'],
    ['svc', 'service'],
    ['service', 'service'],
    ['pod', 'pod'],
    ['po', 'pod'],
    ['Deploy', 'deployment'],
  ])('reads the object kind %s as %s', (alias, objectKind) => {
    expect(allow(`allow frontend/${alias}/web-0 to b`).from[0]).toEqual(
      ep(ns('frontend'), { kind: 'named', objectKind, name: 'web-0' } as EndpointRef['pods']),
    );
    expect(allow(`allow frontend ${alias}/web-0 to b`).from[0]).toEqual(
      ep(ns('frontend'), { kind: 'named', objectKind, name: 'web-0' } as EndpointRef['pods']),
    );
  });

  it('reads keywords, all, and keywords spelt as namespaces', () => {
    expect(allow('allow a to dns | cluster or WORLD | public').to).toEqual([
      { type: 'keyword', keyword: 'dns' },
      { type: 'keyword', keyword: 'cluster' },
      { type: 'keyword', keyword: 'world' },
      { type: 'keyword', keyword: 'public' },
    ]);
    expect(allow('allow all to a').from).toEqual([{ type: 'all' }]);
    expect(allow('allow dns/* to all/x').from).toEqual([ep(ns('dns'), allPods)]);
    expect(allow('allow dns/* to all/x').to).toEqual([ep(ns('all'), word('x'))]);
    expect(allow('allow to/* to ns/*').from).toEqual([ep(ns('to'), allPods)]);
  });

  it('reads addresses, with their full prefix when none is given', () => {
    expect(allow('allow a to 10.0.0.0/16').to).toEqual([{ type: 'cidr', cidr: '10.0.0.0/16', except: [] }]);
    expect(allow('allow a to 10.1.2.3').to).toEqual([{ type: 'cidr', cidr: '10.1.2.3/32', except: [] }]);
    expect(allow('allow a to FD00::/8').to).toEqual([{ type: 'cidr', cidr: 'fd00::/8', except: [] }]);
    expect(allow('allow a to ::1').to).toEqual([{ type: 'cidr', cidr: '::1/128', except: [] }]);
    expect(allow('allow 0.0.0.0/0 except 10.0.0.0/8, 192.168.0.0/16 | dns to a').from).toEqual([
      { type: 'cidr', cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '192.168.0.0/16'] },
      { type: 'keyword', keyword: 'dns' },
    ]);
    expect(allow('allow a to 10.0.0.0/8 except 10.1.2.3').to).toEqual([
      { type: 'cidr', cidr: '10.0.0.0/8', except: ['10.1.2.3/32'] },
    ]);
  });

  it('reads alternatives: "|" and "or", and "and" read as OR with a flag', () => {
    const r = allow('allow a/x | b/y or c to d');
    expect(r.from).toHaveLength(3);
    expect(r.andAsOr).toBe(false);
    const and = allow('allow search and api to db');
    expect(and.from).toEqual([ep(ns('search'), allPods), ep(ns('api'), allPods)]);
    expect(and.andAsOr).toBe(true);
    expect(allow('allow a to b and c').andAsOr).toBe(true);
  });

  it('reads "from" as the reverse direction', () => {
    const r = allow('allow backend/app=api from frontend/* on 80');
    expect(r.from).toEqual([ep(ns('frontend'), allPods)]);
    expect(r.to).toEqual([ep(ns('backend'), sel({ key: 'app', op: '=', value: 'api' }))]);
  });

  it('reads ports in every form', () => {
    const ports = (text: string) => allow(`allow a to b ${text}`).ports;
    expect(ports('')).toBe('any');
    expect(ports('on any')).toBe('any');
    expect(ports('on tcp/8080')).toEqual([{ protocol: 'TCP', port: 8080 }]);
    expect(ports('port 8080')).toEqual([{ protocol: 'TCP', port: 8080 }]);
    expect(ports('ports 80,443')).toEqual([
      { protocol: 'TCP', port: 80 },
      { protocol: 'TCP', port: 443 },
    ]);
    expect(ports('on port 80')).toEqual([{ protocol: 'TCP', port: 80 }]);
    expect(ports('on 8000-8100')).toEqual([{ protocol: 'TCP', port: 8000, endPort: 8100 }]);
    expect(ports('on 8000 - 8100')).toEqual([{ protocol: 'TCP', port: 8000, endPort: 8100 }]);
    expect(ports('on UDP/53')).toEqual([{ protocol: 'UDP', port: 53 }]);
    expect(ports('on sctp/9000-9001')).toEqual([{ protocol: 'SCTP', port: 9000, endPort: 9001 }]);
    expect(ports('on http')).toEqual([{ protocol: 'TCP', name: 'http' }]);
    expect(ports('on udp/dns-udp')).toEqual([{ protocol: 'UDP', name: 'dns-udp' }]);
    expect(ports('on 443, udp/53')).toEqual([
      { protocol: 'TCP', port: 443 },
      { protocol: 'UDP', port: 53 },
    ]);
    expect(ports('on tcp/80,udp/53')).toEqual([
      { protocol: 'TCP', port: 80 },
      { protocol: 'UDP', port: 53 },
    ]);
    expect(ports('on dns')).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    expect(ports('on 53/udp')).toEqual([{ protocol: 'UDP', port: 53 }]);
    expect(ports('on udp')).toEqual([{ protocol: 'UDP' }]);
    expect(ports('on TCP 80, udp 8000-8100')).toEqual([
      { protocol: 'TCP', port: 80 },
      { protocol: 'UDP', port: 8000, endPort: 8100 },
    ]);
    expect(ports('on 443,80')).toEqual([
      { protocol: 'TCP', port: 443 },
      { protocol: 'TCP', port: 80 },
    ]);
  });

  it('reads both-sides before or after the ports', () => {
    expect(allow('allow a to b both-sides').bothSides).toBe(true);
    expect(allow('allow a to b on 80 both-sides').bothSides).toBe(true);
    expect(allow('allow a to b both sides on 80')).toMatchObject({ bothSides: true, ports: [{ port: 80 }] });
    expect(allow('allow a to b').bothSides).toBe(false);
  });

  it('is case-insensitive for keywords and keeps label values as written', () => {
    expect(allow('ALLOW frontend/App=Nginx TO backend ON TCP/80')).toEqual(
      allow('allow frontend/App=Nginx to backend on tcp/80'),
    );
    expect(allow('allow a/App=Nginx to b').from[0]).toEqual(
      ep(ns('a'), sel({ key: 'App', op: '=', value: 'Nginx' })),
    );
  });

  it('survives Slack markup', () => {
    expect(allow('/netpol *allow* `*/*` to <http://10.0.0.1|10.0.0.1> on &quot;tcp/443&quot;')).toEqual(
      allow('allow */* to 10.0.0.1 on tcp/443'),
    );
    expect(allow('allow frontend/app=\u201cnginx\u201d to backend on 8000\u20138100')).toEqual(
      allow('allow frontend/app=nginx to backend on 8000-8100'),
    );
  });
});

describe('parseRequest: deny, isolate, queries, help', () => {
  it('reads deny in a namespace, for every direction', () => {
    expect(deny('deny ingress in default')).toEqual({
      verb: 'deny',
      direction: 'ingress',
      subject: { kind: 'namespace', namespace: 'default' },
      except: [],
    });
    expect(deny('deny egress in default').direction).toBe('egress');
    expect(deny('deny all in default').direction).toBe('all');
    expect(deny('deny both in default').direction).toBe('all');
    expect(deny('deny egress from ns foo except dns')).toEqual({
      verb: 'deny',
      direction: 'egress',
      subject: { kind: 'namespace', namespace: 'foo' },
      except: [{ peer: { type: 'keyword', keyword: 'dns' }, ports: 'any' }],
    });
    expect(deny('deny ingress in namespace foo').subject).toEqual({ kind: 'namespace', namespace: 'foo' });
    expect(deny('deny ingress in namespace except dns').subject).toEqual({
      kind: 'namespace',
      namespace: 'namespace',
    });
    expect(deny('deny ingress to ns/foo').subject).toEqual({
      kind: 'endpoint',
      endpoint: ep(ns('ns'), word('foo')),
    });
  });

  it('reads deny on pods with the right preposition for each direction', () => {
    const subject = {
      kind: 'endpoint',
      endpoint: ep(ns('default'), sel({ key: 'app', op: '=', value: 'web' })),
    };
    expect(deny('deny ingress to default/app=web').subject).toEqual(subject);
    expect(deny('deny ingress for default/app=web').subject).toEqual(subject);
    expect(deny('deny egress from default/app=web').subject).toEqual(subject);
    expect(deny('deny egress for default/app=web').subject).toEqual(subject);
    for (const p of ['to', 'from', 'for'])
      expect(deny(`deny all ${p} default/app=web`).subject).toEqual(subject);
  });

  it('reads exceptions with their own ports', () => {
    expect(
      deny('deny egress from default/app=foo except dns | backend/app=db on tcp/5432 | cluster').except,
    ).toEqual([
      { peer: { type: 'keyword', keyword: 'dns' }, ports: 'any' },
      {
        peer: ep(ns('backend'), sel({ key: 'app', op: '=', value: 'db' })),
        ports: [{ protocol: 'TCP', port: 5432 }],
      },
      { peer: { type: 'keyword', keyword: 'cluster' }, ports: 'any' },
    ]);
    expect(deny('deny egress in default except 0.0.0.0/0 except 10.0.0.0/8 on 443 or dns').except).toEqual([
      {
        peer: { type: 'cidr', cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] },
        ports: [{ protocol: 'TCP', port: 443 }],
      },
      { peer: { type: 'keyword', keyword: 'dns' }, ports: 'any' },
    ]);
  });

  it('reads isolate', () => {
    expect(parseRequest('isolate backend')).toEqual({
      verb: 'isolate',
      namespace: 'backend',
      span: { start: 8, end: 15 },
    });
    expect(parse('isolate ns backend')).toEqual({ verb: 'isolate', namespace: 'backend' });
  });

  it('reads the three queries', () => {
    expect(parse('can frontend/nginx reach backend/api on 8080?')).toEqual({
      verb: 'can',
      from: ep(ns('frontend'), word('nginx')),
      to: ep(ns('backend'), word('api')),
      ports: [{ protocol: 'TCP', port: 8080 }],
    });
    expect(parse('can 10.0.0.5 reach backend api')).toEqual({
      verb: 'can',
      from: { type: 'cidr', cidr: '10.0.0.5/32', except: [] },
      to: ep(ns('backend'), word('api')),
      ports: 'any',
    });
    expect(parse('can backend reach 10.0.0.0/8?')).toMatchObject({
      to: { type: 'cidr', cidr: '10.0.0.0/8' },
    });
    expect(parse('who can reach backend/app=db on tcp/5432')).toEqual({
      verb: 'who-can-reach',
      target: ep(ns('backend'), sel({ key: 'app', op: '=', value: 'db' })),
      ports: [{ protocol: 'TCP', port: 5432 }],
    });
    expect(parse('who can reach backend db?')).toMatchObject({ verb: 'who-can-reach', ports: 'any' });
    expect(parse('what can frontend/deploy/web reach')).toEqual({
      verb: 'what-can-reach',
      source: ep(ns('frontend'), {
        kind: 'named',
        objectKind: 'deployment',
        name: 'web',
      } as EndpointRef['pods']),
      ports: 'any',
    });
    expect(parse('what can frontend web reach on udp/53 ?')).toMatchObject({
      ports: [{ protocol: 'UDP', port: 53 }],
    });
  });

  it('reads help, with a topic or an alias of one; an empty request is help', () => {
    expect(parse('help')).toEqual({ verb: 'help' });
    expect(parse('help ports')).toEqual({ verb: 'help', topic: 'ports' });
    expect(parse('HELP Port')).toEqual({ verb: 'help', topic: 'ports' });
    expect(parse('help who')).toEqual({ verb: 'help', topic: 'query' });
    expect(parse('')).toEqual({ verb: 'help' });
    expect(parse('  /netpol  ')).toEqual({ verb: 'help' });
  });
});

describe('parseRequest: spans', () => {
  it('points every part at its characters in the normalised text', () => {
    const text = 'allow ns(team=ops)/app=web to backend on tcp/80,dns';
    const r = parseRequest(text) as AllowRequest;
    const slice = (s: { start: number; end: number }) => text.slice(s.start, s.end);
    const from = r.from[0] as EndpointRef;
    expect(slice(from.span)).toBe('ns(team=ops)/app=web');
    expect(slice(from.namespace.span)).toBe('ns(team=ops)');
    expect(slice(from.pods.span)).toBe('app=web');
    const to = r.to[0] as EndpointRef;
    expect(slice(to.span)).toBe('backend');
    expect(to.pods.span).toEqual({ start: 37, end: 37 });
    const ports = r.ports as { span: { start: number; end: number } }[];
    expect(ports.map((p) => slice(p.span))).toEqual(['tcp/80', 'dns', 'dns']);
    const cidr = (parseRequest('allow a to 10.0.0.0/8 except 10.1.0.0/16') as AllowRequest).to[0] as PeerRef;
    expect('allow a to 10.0.0.0/8 except 10.1.0.0/16'.slice(cidr.span.start, cidr.span.end)).toBe(
      '10.0.0.0/8 except 10.1.0.0/16',
    );
  });
});

describe('parseRequest: the recipes of REFERENCE §1', () => {
  const web = ep(ns('default'), sel({ key: 'app', op: '=', value: 'web' }));
  const foo = ep(ns('default'), sel({ key: 'app', op: '=', value: 'foo' }));
  const dns = { peer: { type: 'keyword', keyword: 'dns' }, ports: 'any' };
  const cases: [string, string, unknown][] = [
    [
      '01',
      'deny ingress to default/app=web',
      { verb: 'deny', direction: 'ingress', subject: { kind: 'endpoint', endpoint: web }, except: [] },
    ],
    [
      '02',
      'allow default/app=bookstore to default/app=bookstore,role=api',
      {
        from: [ep(ns('default'), sel({ key: 'app', op: '=', value: 'bookstore' }))],
        to: [
          ep(
            ns('default'),
            sel({ key: 'app', op: '=', value: 'bookstore' }, { key: 'role', op: '=', value: 'api' }),
          ),
        ],
        ports: 'any',
      },
    ],
    ['02a', 'allow all to default/app=web', { from: [{ type: 'all' }], to: [web] }],
    [
      '03',
      'deny ingress in default',
      { direction: 'ingress', subject: { kind: 'namespace', namespace: 'default' } },
    ],
    ['04', 'isolate default', { verb: 'isolate', namespace: 'default' }],
    [
      '04',
      'allow default/* to default/*',
      { from: [ep(ns('default'), allPods)], to: [ep(ns('default'), allPods)] },
    ],
    [
      '05',
      'allow */* to default/app=web',
      { from: [ep({ kind: 'all' } as EndpointRef['namespace'], allPods)], to: [web] },
    ],
    [
      '06',
      'allow ns(purpose=production)/* to default/app=web',
      {
        from: [
          {
            namespace: { kind: 'selector', requirements: [{ key: 'purpose', op: '=', value: 'production' }] },
            pods: allPods,
          },
        ],
      },
    ],
    [
      '07',
      'allow ns(team=operations)/type=monitoring to default/app=web',
      {
        from: [{ namespace: { kind: 'selector' }, pods: sel({ key: 'type', op: '=', value: 'monitoring' }) }],
      },
    ],
    [
      '07',
      'allow ns(team=operations)/* | default/type=monitoring to default/app=web',
      {
        from: [
          { namespace: { kind: 'selector' }, pods: allPods },
          ep(ns('default'), sel({ key: 'type', op: '=', value: 'monitoring' })),
        ],
      },
    ],
    [
      '08',
      'allow all to default/app=web on tcp/80',
      { from: [{ type: 'all' }], ports: [{ protocol: 'TCP', port: 80 }] },
    ],
    [
      '09',
      'allow default/role=monitoring to default/app=apiserver on tcp/5000',
      { ports: [{ protocol: 'TCP', port: 5000 }] },
    ],
    [
      '10',
      'allow default/app=bookstore,role=search | default/app=bookstore,role=api | default/app=inventory,role=web to default/app=bookstore,role=db',
      { from: [{ type: 'endpoint' }, { type: 'endpoint' }, { type: 'endpoint' }], andAsOr: false },
    ],
    [
      '11',
      'deny egress from default/app=foo',
      { direction: 'egress', subject: { kind: 'endpoint', endpoint: foo }, except: [] },
    ],
    ['11', 'deny egress from default/app=foo except dns', { except: [dns] }],
    [
      '12',
      'deny egress in default',
      { direction: 'egress', subject: { kind: 'namespace', namespace: 'default' } },
    ],
    [
      '13',
      'deny egress from default/app=foo except dns | default/app=db on tcp/5432',
      {
        except: [
          dns,
          {
            peer: ep(ns('default'), sel({ key: 'app', op: '=', value: 'db' })),
            ports: [{ protocol: 'TCP', port: 5432 }],
          },
        ],
      },
    ],
    [
      '13b',
      'deny egress from default/app=foo except dns | backend/*',
      { except: [dns, { peer: ep(ns('backend'), allPods), ports: 'any' }] },
    ],
    [
      '14',
      'deny egress from default/app=foo except dns | cluster',
      { except: [dns, { peer: { type: 'keyword', keyword: 'cluster' }, ports: 'any' }] },
    ],
    ['extra', 'allow all to default/*', { from: [{ type: 'all' }], to: [ep(ns('default'), allPods)] }],
    ['extra', 'allow default/* to all', { to: [{ type: 'all' }] }],
    ['extra', 'deny all in default', { direction: 'all' }],
    [
      'extra',
      'allow default/role=db to 10.0.0.0/24 on tcp/32000-32768',
      {
        to: [{ type: 'cidr', cidr: '10.0.0.0/24', except: [] }],
        ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }],
      },
    ],
    [
      'extra',
      'allow default/app=myapp to ns(namespace in (frontend,backend))/*',
      {
        to: [
          {
            namespace: {
              kind: 'selector',
              requirements: [{ key: 'namespace', op: 'in', values: ['frontend', 'backend'] }],
            },
          },
        ],
      },
    ],
    [
      'extra',
      'deny egress in default except dns | public',
      { except: [dns, { peer: { type: 'keyword', keyword: 'public' }, ports: 'any' }] },
    ],
    // §2.5 examples
    [
      '2.5',
      '/netpol allow frontend nginx to backend',
      { from: [ep(ns('frontend'), word('nginx'))], to: [ep(ns('backend'), allPods)] },
    ],
    [
      '2.5',
      'allow frontend app=nginx to backend app=api on tcp/8080',
      { ports: [{ protocol: 'TCP', port: 8080 }] },
    ],
    [
      '2.5',
      'allow backend to 10.0.0.0/16 port 5432',
      { to: [{ type: 'cidr', cidr: '10.0.0.0/16' }], ports: [{ protocol: 'TCP', port: 5432 }] },
    ],
    [
      '2.5',
      'deny egress from ns foo except dns',
      { subject: { kind: 'namespace', namespace: 'foo' }, except: [dns] },
    ],
    ['2.5', 'can frontend/nginx reach backend/api on 8080?', { verb: 'can' }],
  ];
  it.each(cases)('recipe %s: %s', (_n, text, shape) => {
    expect(parse(text)).toMatchObject(shape as object);
  });
});

describe('parseRequest: errors', () => {
  it('points at a misspelt keyword and suggests the right one', () => {
    const e = expectError(
      'allow frontend nginx too backend',
      'E_SYNTAX',
      'too',
      /^expected "to" after the source, found "too"$/,
    );
    expect(e.hint).toMatch(/did you mean "to"/);
    expect(e.column).toBe(22);
    expect(expectError('allow frontend too backend', 'E_SYNTAX', 'too').hint).toMatch(/did you mean "to"/);
    expect(expectError('allow frontend form backend', 'E_SYNTAX', 'form').hint).toMatch(
      /did you mean "to"|"from"/,
    );
    expect(expectError('alow a to b', 'E_SYNTAX', 'alow', /unknown command/).hint).toMatch(
      /did you mean "allow"/,
    );
    expect(expectError('can frontend raech backend', 'E_SYNTAX', 'raech').hint).toMatch(
      /did you mean "reach"/,
    );
    expect(expectError('can frontend/x raech backend', 'E_SYNTAX', 'raech').hint).toMatch(
      /did you mean "reach"/,
    );
    expect(expectError('who cna reach a', 'E_SYNTAX', 'cna').hint).toMatch(/did you mean "can"/);
    expect(expectError('allow a to b onn 80', 'E_SYNTAX', 'onn').hint).toMatch(/did you mean "on"/);
    expect(expectError('allow a to b/x onn 80', 'E_SYNTAX', 'onn').hint).toMatch(/did you mean "on"/);
    expect(expectError('deny ingres in a', 'E_SYNTAX', 'ingres').hint).toMatch(/did you mean "ingress"/);
    expect(expectError('deny egress form a/b', 'E_SYNTAX', 'form').hint).toMatch(/did you mean "from"/);
    expect(expectError('allow a/deplyo/web to b', 'E_SYNTAX', 'deplyo', /unknown object kind/).hint).toMatch(
      /did you mean "deploy"/,
    );
    expect(expectError('help alow', 'E_SYNTAX', 'alow', /unknown help topic/).hint).toMatch(
      /did you mean "allow"/,
    );
    expect(expectError('allow a to b bothsides', 'E_SYNTAX', 'bothsides').hint).toMatch(
      /did you mean "both-sides"/,
    );
  });

  it('explains synonyms of the verbs', () => {
    expect(expectError('let a reach b', 'E_SYNTAX', 'let').hint).toMatch(/allow SOURCE to DESTINATION/);
    expect(expectError('block a from b', 'E_SYNTAX', 'block').hint).toMatch(/cannot block one peer/);
  });

  it('names what is missing at the end of the request', () => {
    const e = expectError(
      'allow frontend to',
      'E_SYNTAX',
      '',
      /expected a destination after "to", found the end of the request/,
    );
    expect(e.column).toBe('allow frontend to'.length + 1);
    expectError('allow frontend', 'E_SYNTAX', '', /expected "to" after the source, found the end/);
    expectError('allow', 'E_SYNTAX', '', /expected a source after "allow"/);
    expectError('allow a | to b', 'E_SYNTAX', 'to', /expected a peer after "\|", found "to"/);
    expectError('allow a to b on', 'E_SYNTAX', '', /expected a port after "on"/);
    expectError('deny', 'E_SYNTAX', '', /expected "ingress", "egress" or "all"/);
    expectError('deny ingress', 'E_SYNTAX', '', /expected "to", "for" or "in" after "deny ingress"/);
    expectError('deny egress in', 'E_SYNTAX', '', /expected a namespace after "in"/);
    expectError('isolate', 'E_SYNTAX', '', /expected a namespace after "isolate"/);
    expectError('can a', 'E_SYNTAX', '', /expected "reach"/);
    expectError('who can reach', 'E_SYNTAX', '', /expected pods after "reach"/);
    expectError('what can a', 'E_SYNTAX', '', /expected "reach"/);
    expectError('deny egress in a except', 'E_SYNTAX', '', /expected an exception/);
  });

  it('refuses leftovers after a complete request', () => {
    expectError(
      'allow a to b on 80 please',
      'E_SYNTAX',
      'please',
      /expected "both-sides" or the end of the request after the destination/,
    );
    expectError('isolate a b', 'E_SYNTAX', 'b', /expected the end of the request after the namespace/);
    expectError('isolate a/x', 'E_SYNTAX', '/', /namespace name alone/);
    expectError('help allow deny', 'E_SYNTAX', 'deny');
    expectError('allow a to b?', 'E_SYNTAX', '?');
    expectError('allow a to b/app=x tier=y', 'E_SYNTAX', 'tier');
    expectError('deny egress in a except dns and cluster', 'E_SYNTAX', 'and', /between exceptions/);
    expectError('allow a to b on 80 443', 'E_SYNTAX', '443');
  });

  it('refuses a request that does not start with a command', () => {
    expectError('* to b', 'E_SYNTAX', '*', /expected a command/);
    expectError('frontend/nginx to b', 'E_SYNTAX', 'frontend', /unknown command/);
  });

  it('asks for a namespace before a selector', () => {
    const e = expectError(
      'allow app=nginx to backend',
      'E_SYNTAX',
      'app',
      /expected a namespace before "app=nginx"/,
    );
    expect(e.hint).toContain('default/app=nginx');
    expectError(
      'allow app.kubernetes.io/name=x to backend',
      'E_SYNTAX',
      'app.kubernetes.io',
      /namespace before/,
    );
    expectError('allow !canary to backend', 'E_SYNTAX', '!', /namespace before/);
    expect(expectError('allow frontend,backend to x', 'E_SYNTAX', 'frontend').hint).toMatch(
      /separate them with "\|"/,
    );
  });

  it('refuses bad namespace names, naming the word', () => {
    expect(expectError('allow Frontend/nginx to b', 'E_INVALID_VALUE', 'Frontend', /lower case/).hint).toBe(
      'write "frontend"',
    );
    expectError('isolate Backend', 'E_INVALID_VALUE', 'Backend', /lower case/);
    expectError('allow front_end to b', 'E_INVALID_VALUE', 'front_end');
    expectError(`allow ${'a'.repeat(64)} to b`, 'E_INVALID_VALUE', 'a'.repeat(40), /at most 63/);
    expectError('allow my.namespace to b', 'E_UNSUPPORTED', 'my.namespace', /host name/);
    expectError('allow a to api.stripe.com', 'E_UNSUPPORTED', 'api.stripe.com', /host name/);
    expectError('allow a to api.stripe.com:443', 'E_SYNTAX', 'api.stripe.com:443', /address and a port/);
    expectError('allow a to 10.0.0.1:443', 'E_SYNTAX', '10.0.0.1:443', /address and a port/);
    expectError('allow a to 1a.2b', 'E_INVALID_VALUE', '1a.2b', /must not contain "."/);
    expectError('allow a to @bob', 'E_INVALID_VALUE', '@bob');
    expectError('allow a/"" to b', 'E_INVALID_VALUE', '""', /must not be empty/);
  });

  it('refuses bad labels, names and object names', () => {
    expectError('allow a/app=-web to b', 'E_SYNTAX', '-', /expected a value after "app="/);
    expectError('allow a/app=web- to b', 'E_SYNTAX', '-');
    expectError('allow a/app=we_ to b', 'E_INVALID_VALUE', 'we_', /label value "we_"/);
    expectError('allow a/app=we$b to b', 'E_INVALID_VALUE', 'we$b');
    expectError('allow a/-app=web to b', 'E_SYNTAX', '-');
    expectError('allow a/ap$p=web to b', 'E_INVALID_VALUE', 'ap$p', /label key/);
    expectError('allow a/Example.com/x=y to b', 'E_INVALID_VALUE', 'Example.com', /label key/);
    expectError('allow a/ng$nx to b', 'E_INVALID_VALUE', 'ng$nx', /pod name/);
    expectError('allow a/deploy/Web to b', 'E_INVALID_VALUE', 'Web', /deployment name "Web"/);
    expectError('allow a/deploy/ to b', 'E_SYNTAX', 'to', /expected a name after "deploy\/"/);
    expectError('allow a/app= to b', 'E_SYNTAX', 'to', /expected a value after "app="/);
    expectError('allow a/app in () to b', 'E_SYNTAX', ')', /expected a value in/);
    expectError('allow a/app in (x y) to b', 'E_SYNTAX', 'y', /expected "," or "\)" after "x"/);
    expectError('allow a/app=x, to b', 'E_SYNTAX', 'to', /expected a label after ","/);
    expectError('allow ns(team=ops to b', 'E_SYNTAX', 'to', /in the namespace selector/);
    expectError('allow a/x/y to b', 'E_SYNTAX', 'x', /unknown object kind "x"/);
    expectError('allow a/! to b', 'E_SYNTAX', 'to', /label key after "!"/);
    expectError('allow a/, to b', 'E_SYNTAX', ',', /expected pods after the namespace/);
    expectError('allow a/ to b', 'E_SYNTAX', 'to');
  });

  it('refuses bad ports', () => {
    expectError('allow a to b on 0', 'E_INVALID_VALUE', '0', /out of range/);
    expectError('allow a to b on 65536', 'E_INVALID_VALUE', '65536', /out of range/);
    expectError('allow a to b on 99999999999999999999999', 'E_INVALID_VALUE', '99999999999999999999999');
    expectError('allow a to b on 8100-8000', 'E_INVALID_VALUE', '8100-8000', /ends before it starts/);
    expectError('allow a to b on 80-70000', 'E_INVALID_VALUE', '80-70000', /out of range/);
    expectError('allow a to b on 8000 - x', 'E_SYNTAX', 'x', /last port of the range/);
    expect(expectError('allow a to b on HTTP', 'E_INVALID_VALUE', 'HTTP').hint).toBe(
      'port names are lower case: write "http"',
    );
    expectError(
      'allow a to b on averyveryverylongname',
      'E_INVALID_VALUE',
      'averyveryverylongname',
      /at most 15/,
    );
    expectError('allow a to b on tcp/', 'E_SYNTAX', '', /expected a port number or name after "tcp\/"/);
    expectError('allow a to b on 80/icmp', 'E_SYNTAX', 'icmp', /unknown protocol/);
    expectError('allow a to b on *', 'E_SYNTAX', '*', /expected a port/);
    expectError('allow a to b on port', 'E_SYNTAX', '', /expected a port after "port"/);
    expectError('allow a to b on tcp/ 80', 'E_SYNTAX', '80', /after "tcp\/"/);
    expectError('allow a to b on tcp http', 'E_SYNTAX', 'http');
  });

  it('refuses bad addresses', () => {
    expectError('allow a to 10.0.0.256', 'E_INVALID_VALUE', '10.0.0.256', /not a valid IP address/);
    expectError('allow a to 10.0.0', 'E_INVALID_VALUE', '10.0.0');
    expectError('allow a to 010.0.0.1', 'E_INVALID_VALUE', '010.0.0.1', /leading zero/);
    expectError('allow a to 10.0.0.0/33', 'E_INVALID_VALUE', '33', /prefix length from 0 to 32/);
    expectError('allow a to fd00::/129', 'E_INVALID_VALUE', '129', /0 to 128/);
    expectError('allow a to 10.0.0.0/x', 'E_INVALID_VALUE', 'x');
    expectError('allow a to 10.0.0.0/ 8', 'E_SYNTAX', '8');
    expectError('allow a to 1:2:3', 'E_INVALID_VALUE', '1:2:3');
    expectError(
      'allow a to 10.0.0.0/8 except 11.0.0.0/16',
      'E_INVALID_VALUE',
      '11.0.0.0',
      /not strictly inside/,
    );
    expectError(
      'allow a to 10.0.0.0/8 except 10.0.0.0/8',
      'E_INVALID_VALUE',
      '10.0.0.0',
      /not strictly inside/,
    );
    expectError('allow a to 10.0.0.0/8 except fd00::/16', 'E_INVALID_VALUE', 'fd00::', /not strictly inside/);
    expectError('allow a to 10.0.0.0/8 except b', 'E_SYNTAX', 'b', /address range after "except"/);
  });

  it('refuses what NetworkPolicy cannot express, with a way out', () => {
    const ingress = expectError(
      'deny ingress from backend/app=x',
      'E_UNSUPPORTED',
      'from',
      /cannot block one source/,
    );
    expect(ingress.hint).toContain('deny egress from backend/app=x');
    const egress = expectError(
      'deny egress to backend',
      'E_UNSUPPORTED',
      'to',
      /cannot block one destination/,
    );
    expect(egress.hint).toContain('deny ingress to backend/*');
    expect(expectError('deny egress to 1.2.3.4', 'E_UNSUPPORTED', 'to').hint).toContain('deny egress from');
    expectError('deny ingress from', 'E_UNSUPPORTED', 'from');
    expectError('who can reach 10.0.0.1', 'E_UNSUPPORTED', '10.0.0.1');
    expectError('what can 10.0.0.1 reach', 'E_UNSUPPORTED', '10.0.0.1');
  });

  it('refuses ambiguous or misplaced words with the readings spelt out', () => {
    expect(expectError('allow anything to b', 'E_SYNTAX', 'anything', /ambiguous/).hint).toContain('*/*');
    expect(expectError('allow all namespaces to b', 'E_SYNTAX', 'namespaces').hint).toContain('*/*');
    expectError('allow all | a to b', 'E_SYNTAX', 'all', /cannot be combined/);
    expectError('can dns reach a', 'E_SYNTAX', 'dns', /query needs pods or an address/);
    expectError('can a reach all', 'E_SYNTAX', 'all', /query needs pods/);
  });

  it('refuses a request longer than the limit', () => {
    expectError(`allow a to b ${'x'.repeat(5000)}`, 'E_SYNTAX', '', /more than 4000/);
    expect(failure('*'.repeat(1_000_000)).message).toMatch(/1000000 characters long/);
  });

  it('keeps messages on one line, with long words shortened', () => {
    const e = failure(`allow a to b on ${'q'.repeat(200)}`);
    expect(e.message).toContain(`"${'q'.repeat(40)}…"`);
    expect(e.message.length).toBeLessThan(200);
  });
});

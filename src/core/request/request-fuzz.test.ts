/**
 * Property tests for the request front end: 100,000 runs in all, split across random text, token soup,
 * mutations of valid requests (tokens and characters inserted, deleted, replaced; Slack markup; random
 * Unicode) and generated requests. Whatever comes in, parseRequest returns a request or throws a
 * NetpolError with a known code, a one-line message and a column inside the text; whatever it returns,
 * formatRequest prints a form that reads back to the same request and prints the same again.
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { NetpolError, type ErrorCode } from '../errors';
import { formatIp } from '../k8s/cidr';
import { formatRequest } from './format-request';
import { HELP_TOPICS } from './help';
import { normalizeInput } from './normalize-input';
import { parseAuditWindow } from '../k8s/audit-mode';
import { parseRequest } from './parser';
import {
  type AuditRef,
  WORKLOAD_KINDS,
  type Direction,
  type EndpointRef,
  type Keyword,
  type NamespaceRef,
  type PeerRef,
  type PodRef,
  type PortRef,
  type PortsRef,
  type QueryEndpoint,
  type Request,
  type SelectorRequirement,
} from './request';

const KNOWN_CODES: ErrorCode[] = ['E_SYNTAX', 'E_INVALID_VALUE', 'E_UNSUPPORTED'];

function withoutSpans(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'span' ? undefined : v)));
}

/** What the canonical form means: the request itself, with "and" between peers resolved to "|". */
function meaning(request: Request): unknown {
  return withoutSpans(request.verb === 'allow' ? { ...request, andAsOr: false } : request);
}

function fail(message: string): never {
  throw new Error(message);
}

/** The property every input must satisfy. */
function check(text: string): void {
  let request: Request;
  try {
    request = parseRequest(text);
  } catch (error) {
    if (!(error instanceof NetpolError)) throw error;
    if (!KNOWN_CODES.includes(error.code)) fail(`unexpected code ${error.code}`);
    if (error.message.length === 0 || /[\r\n\u2028\u2029\u0085]/.test(error.message)) {
      fail(`message is not one line: ${JSON.stringify(error.message)}`);
    }
    const length = normalizeInput(text).length;
    const column = error.column ?? 0;
    if (!Number.isInteger(column) || column < 1 || column > length + 1)
      fail(`column ${column} outside 1..${length + 1}`);
    return;
  }
  roundTrips(request);
}

function roundTrips(request: Request): void {
  const canonical = formatRequest(request);
  let again: Request;
  try {
    again = parseRequest(canonical);
  } catch (error) {
    fail(`canonical form ${JSON.stringify(canonical)} does not parse: ${(error as Error).message}`);
  }
  if (!isDeepStrictEqual(withoutSpans(again), meaning(request))) {
    fail(
      `canonical form ${JSON.stringify(canonical)} reads back differently: ${JSON.stringify(withoutSpans(again))}`,
    );
  }
  const twice = formatRequest(again);
  if (twice !== canonical) fail(`not idempotent: ${JSON.stringify(canonical)} then ${JSON.stringify(twice)}`);
}

const CORPUS = [
  'allow frontend nginx to backend',
  'allow frontend app=nginx to backend app=api on tcp/8080',
  'allow backend to 10.0.0.0/16 port 5432',
  'allow default/app=bookstore to default/app=bookstore,role=api',
  'allow all to default/app=web on tcp/80',
  'allow */* to default/app=web',
  'allow ns(purpose=production)/* to default/app=web',
  'allow ns(team=operations)/type=monitoring to default/app=web',
  'allow ns(team=operations)/* | default/type=monitoring to default/app=web',
  'allow default/role=monitoring to default/app=apiserver on tcp/5000',
  'allow default/app=bookstore,role=search | default/app=inventory,role=web to default/app=bookstore,role=db',
  'allow default/role=db to 10.0.0.0/24 on tcp/32000-32768',
  'allow default/app=myapp to ns(namespace in (frontend,backend))/*',
  'allow monitoring/app.kubernetes.io/name=prometheus to backend/* on tcp/9090',
  'allow search and api to db on 80,443,udp/53',
  'allow backend/app=api from frontend/deploy/web on http both-sides',
  'allow 0.0.0.0/0 except 10.0.0.0/8,192.168.0.0/16 to web/app=site on 443',
  'allow a/app=web,canary,!legacy,tier notin (db) to b/svc/api on dns',
  'allow fd00::/8 to a/k="" on sctp/9000-9100',
  'deny ingress to default/app=web',
  'deny ingress in default',
  'deny egress from default/app=foo except dns | default/app=db on tcp/5432 | cluster',
  'deny egress in default except dns | public',
  'deny all for a/sts/db-0 except b/* on udp',
  'deny egress from ns foo except dns',
  'deny ingress from backend/app=x',
  'isolate default',
  'deny all in backend except dns --audit 1h',
  'allow a/app=web to b/app=api on 8080 --audit 90s',
  'isolate default --audit 2d',
  'can frontend/nginx reach backend/api on 8080?',
  'can 10.0.0.5 reach backend api',
  'who can reach backend/app=db on tcp/5432',
  'what can frontend/deploy/web reach',
  'help ports',
  '/netpol allow *frontend* to `backend/*` | <http://10.0.0.1|10.0.0.1> on 443',
];

const TOKENS = [
  'allow',
  'deny',
  'isolate',
  'can',
  'who',
  'what',
  'help',
  'to',
  'from',
  'for',
  'in',
  '--audit',
  '-audit',
  'audit',
  '1h',
  '0s',
  '-',
  'on',
  'port',
  'ports',
  'or',
  'and',
  'except',
  'reach',
  'both-sides',
  'ingress',
  'egress',
  'all',
  'any',
  'dns',
  'cluster',
  'world',
  'public',
  'ns',
  'namespace',
  'notin',
  'tcp',
  'udp',
  'sctp',
  'deploy',
  'svc',
  'pod',
  'job',
  'http',
  '|',
  ',',
  '(',
  ')',
  '/',
  '=',
  '==',
  '!=',
  '!',
  '*',
  '?',
  '-',
  '"',
  '""',
  "'",
  '`',
  '```',
  'frontend',
  'backend',
  'app',
  'web',
  'app.kubernetes.io',
  'name',
  '10.0.0.0',
  '16',
  '8',
  'fd00::',
  '::1',
  '80',
  '0',
  '65536',
  '8000-8100',
  'too',
  'form',
  'ALLOW',
  'Frontend',
  'api.stripe.com',
  '10.0.0.1:443',
  '*/*',
  'ns(',
  'k=*',
  '&amp;',
  '&lt;',
  '&#10;',
  '<@U1>',
  '<http://x|y>',
  '<#C1|c>',
  '*b*',
  '_i_',
  '~s~',
  '\u00a0',
  '\u2014',
  '\u201c',
  '\u2019',
  '\u200b',
  '\uff0f',
  '\ud800',
  '\u0000',
  '\n',
  'ß',
  '😀',
  '',
];

const MARKUP = [
  '*',
  '_',
  '~',
  '`',
  '<',
  '>',
  '|',
  '&',
  ';',
  '#',
  '@',
  '!',
  '"',
  "'",
  '\u00a0',
  '\u2028',
  '\t',
];

const token = fc.constantFrom(...TOKENS);
const glue = fc.constantFrom(' ', '', ' ', '  ');
const oddChar = fc.oneof(
  fc.constantFrom(...MARKUP),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 2 }),
);

/** Text split into words and punctuation, so that mutations act on whole tokens. */
function pieces(text: string): string[] {
  return text.split(/(\s+|[/|,()=!*?])/).filter((p) => p !== '');
}

type Mutation =
  | { op: 'insert-token' | 'replace-token'; at: number; token: string }
  | { op: 'delete-token'; at: number }
  | { op: 'insert-char' | 'replace-char'; at: number; char: string }
  | { op: 'delete-char'; at: number }
  | { op: 'swap-case'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('insert-token' as const, 'replace-token' as const), at: fc.nat(), token }),
  fc.record({ op: fc.constant('delete-token' as const), at: fc.nat() }),
  fc.record({
    op: fc.constantFrom('insert-char' as const, 'replace-char' as const),
    at: fc.nat(),
    char: oddChar,
  }),
  fc.record({ op: fc.constantFrom('delete-char' as const, 'swap-case' as const), at: fc.nat() }),
);

function mutate(text: string, mutations: Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    if (m.op === 'insert-token' || m.op === 'replace-token' || m.op === 'delete-token') {
      const parts = pieces(out);
      const at = parts.length === 0 ? 0 : m.at % (parts.length + (m.op === 'insert-token' ? 1 : 0));
      if (m.op === 'insert-token') parts.splice(at, 0, m.token);
      else parts.splice(at, 1, ...(m.op === 'replace-token' ? [m.token] : []));
      out = parts.join('');
    } else {
      const at = out.length === 0 ? 0 : m.at % (out.length + 1);
      if (m.op === 'insert-char') out = out.slice(0, at) + m.char + out.slice(at);
      else if (m.op === 'replace-char') out = out.slice(0, at) + m.char + out.slice(at + 1);
      else if (m.op === 'delete-char') out = out.slice(0, at) + out.slice(at + 1);
      else out = out.slice(0, at) + out.slice(at, at + 8).toUpperCase() + out.slice(at + 8);
    }
  }
  return out;
}

// ---- generated requests (valid by construction) -----------------------------------------------

const span = { start: 0, end: 0 };
const alnum = 'abcdefghijklmnopqrstuvwxyz0123456789';
const lowerLabel = fc
  .tuple(
    fc.constantFrom(...alnum),
    fc.string({ unit: fc.constantFrom(...`${alnum}-`), maxLength: 8 }),
    fc.constantFrom(...alnum),
  )
  .map(([a, mid, z]) => `${a}${mid}${z}`)
  .filter((s) => s.length <= 63);
const nsName = fc.oneof(
  { weight: 5, arbitrary: lowerLabel },
  { weight: 1, arbitrary: fc.constantFrom('to', 'dns', 'all', 'ns', 'namespace', 'any', 'or', 'in', 'both') },
);
const qualifiedName = fc
  .tuple(
    fc.constantFrom(...`${alnum}ABC`),
    fc.string({ unit: fc.constantFrom(...`${alnum}XYZ-_.`), maxLength: 8 }),
    fc.constantFrom(...`${alnum}Q`),
  )
  .map(([a, mid, z]) => `${a}${mid}${z}`);
const labelKey = fc.oneof(
  { weight: 4, arbitrary: qualifiedName },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.oneof(lowerLabel, fc.constantFrom('app.kubernetes.io', 'job', 'deploy', 'example.com')),
        qualifiedName,
      )
      .map(([p, n]) => `${p}/${n}`),
  },
);
const labelValue = fc.oneof(
  { weight: 6, arbitrary: qualifiedName },
  { weight: 1, arbitrary: fc.constant('') },
);
const requirement: fc.Arbitrary<SelectorRequirement> = fc.oneof(
  fc.record({ key: labelKey, op: fc.constantFrom('=' as const, '!=' as const), value: labelValue }),
  fc.record({
    key: labelKey,
    op: fc.constantFrom('in' as const, 'notin' as const),
    values: fc.array(labelValue, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ key: labelKey, op: fc.constantFrom('exists' as const, '!exists' as const) }),
);
const requirements = fc.array(requirement, { minLength: 1, maxLength: 3 });
const namespaceRef: fc.Arbitrary<NamespaceRef> = fc.oneof(
  { weight: 4, arbitrary: nsName.map((name) => ({ kind: 'name' as const, name, span })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'all' as const, span }) },
  { weight: 1, arbitrary: requirements.map((r) => ({ kind: 'selector' as const, requirements: r, span })) },
);
const podRef: fc.Arbitrary<PodRef> = fc.oneof(
  fc.constant({ kind: 'all' as const, span }),
  requirements.map((r) => ({ kind: 'selector' as const, requirements: r, span })),
  fc
    .oneof(qualifiedName, nsName, fc.constantFrom('a.b.c', 'to', 'deploy', 'in', '1.2.3.4'))
    .map((word) => ({ kind: 'bare' as const, word, span })),
  fc
    .tuple(fc.constantFrom(...WORKLOAD_KINDS), fc.oneof(lowerLabel, fc.constant('web-0.x')))
    .map(([objectKind, name]) => ({ kind: 'named' as const, objectKind, name, span })),
);
const endpoint: fc.Arbitrary<EndpointRef> = fc
  .tuple(namespaceRef, podRef)
  .map(([namespace, pods]) => ({ type: 'endpoint', namespace, pods, span }));

const cidr = fc.oneof(
  fc
    .tuple(
      fc.nat(0xffffffff),
      fc.integer({ min: 0, max: 32 }),
      fc.array(fc.tuple(fc.nat(0xffffffff), fc.nat(32)), { maxLength: 2 }),
    )
    .map(([address, prefix, excepts]) => {
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      const text = (n: number, p: number) => `${formatIp({ family: 4, words: [n >>> 0, 0, 0, 0] })}/${p}`;
      const except =
        prefix === 32
          ? []
          : excepts.map(([bits, p]) => {
              const q = prefix + 1 + (p % (32 - prefix));
              return text(((address & mask) | (bits & ~mask)) >>> 0, q);
            });
      return { type: 'cidr' as const, cidr: text(address, prefix), except, span };
    }),
  fc
    .tuple(fc.array(fc.nat(0xffffffff), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 128 }))
    .map(([w, prefix]) => ({
      type: 'cidr' as const,
      cidr: `${formatIp({ family: 6, words: [w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 0] })}/${prefix}`,
      except: [] as string[],
      span,
    })),
);
const keyword = fc.constantFrom<Keyword>('dns', 'cluster', 'world', 'public');
const peer: fc.Arbitrary<PeerRef> = fc.oneof(
  { weight: 4, arbitrary: endpoint },
  { weight: 1, arbitrary: cidr },
  { weight: 1, arbitrary: keyword.map((k) => ({ type: 'keyword' as const, keyword: k, span })) },
);
const peers = fc.oneof(
  { weight: 6, arbitrary: fc.array(peer, { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant<PeerRef[]>([{ type: 'all', span }]) },
);
const protocol = fc.constantFrom('TCP' as const, 'UDP' as const, 'SCTP' as const);
const portName = fc
  .tuple(
    fc.constantFrom(...'abcxyz'),
    fc.string({ unit: fc.constantFrom(...'abz09-'), maxLength: 6 }),
    fc.constantFrom(...'az9'),
  )
  .map(([a, m, z]) => `${a}${m}${z}`)
  .filter((n) => !n.includes('--') && n.length <= 15);
const port: fc.Arbitrary<PortRef> = fc.oneof(
  fc.record({ protocol, port: fc.integer({ min: 1, max: 65535 }), span: fc.constant(span) }),
  fc
    .tuple(protocol, fc.integer({ min: 1, max: 65535 }), fc.nat(1000))
    .map(([p, n, d]) => ({ protocol: p, port: n, endPort: Math.min(65535, n + d), span })),
  fc.record({ protocol, name: portName, span: fc.constant(span) }),
  fc.record({ protocol, span: fc.constant(span) }),
);
const ports: fc.Arbitrary<PortsRef> = fc.oneof(
  fc.constant('any' as const),
  fc.array(port, { minLength: 1, maxLength: 3 }),
);
const queryEndpoint: fc.Arbitrary<QueryEndpoint> = fc.oneof(
  { weight: 3, arbitrary: endpoint },
  { weight: 1, arbitrary: cidr },
);

/** Every window the grammar accepts: 10s to 30d. */
const auditRef: fc.Arbitrary<AuditRef> = fc
  .tuple(fc.integer({ min: 1, max: 2_592_000 }), fc.constantFrom('s', 'm', 'h', 'd'))
  .map(([n, unit]) => `${n}${unit}`)
  .filter((w) => {
    const ms = parseAuditWindow(w);
    return ms !== undefined && ms >= 10_000 && ms <= 2_592_000_000;
  })
  .map((window) => ({ window, windowMs: parseAuditWindow(window) as number, span }));

/** A policy request, half of the time in audit mode. */
function maybeAudit<R extends Request>(request: fc.Arbitrary<R>): fc.Arbitrary<R> {
  return fc
    .tuple(request, fc.option(auditRef, { nil: undefined }))
    .map(([r, audit]) => (audit === undefined ? r : { ...r, audit }));
}

const generatedRequest: fc.Arbitrary<Request> = fc.oneof(
  maybeAudit(
    fc.record({
      verb: fc.constant('allow' as const),
      from: peers,
      to: peers,
      ports,
      bothSides: fc.boolean(),
      andAsOr: fc.boolean(),
    }),
  ),
  maybeAudit(
    fc.record({
      verb: fc.constant('deny' as const),
      direction: fc.constantFrom<Direction>('ingress', 'egress', 'all'),
      subject: fc.oneof(
        nsName.map((namespace) => ({ kind: 'namespace' as const, namespace, span })),
        endpoint.map((e) => ({ kind: 'endpoint' as const, endpoint: e })),
      ),
      except: fc.array(
        fc.record({ peer: fc.oneof(peer, fc.constant<PeerRef>({ type: 'all', span })), ports }),
        { maxLength: 3 },
      ),
    }),
  ),
  maybeAudit(nsName.map((namespace) => ({ verb: 'isolate' as const, namespace, span }))),
  fc.record({ verb: fc.constant('can' as const), from: queryEndpoint, to: queryEndpoint, ports }),
  fc.record({ verb: fc.constant('who-can-reach' as const), target: endpoint, ports }),
  fc.record({ verb: fc.constant('what-can-reach' as const), source: endpoint, ports }),
  fc
    .option(fc.constantFrom(...HELP_TOPICS), { nil: undefined })
    .map((topic) => (topic === undefined ? { verb: 'help' as const } : { verb: 'help' as const, topic })),
);

describe('request front end, property-based', () => {
  // 100,000 runs in total; NETPOL_FUZZ_SCALE=10 for a deeper search when changing the grammar.
  const scale = Number(process.env.NETPOL_FUZZ_SCALE ?? '1') || 1;
  // Synchronous, so a timeout only reports: generous for a loaded CI machine.
  const TIMEOUT = 180_000 * scale;
  const RUNS = {
    random: 15_000 * scale,
    soup: 25_000 * scale,
    mutated: 45_000 * scale,
    generated: 15_000 * scale,
  };

  it('the corpus parses and round-trips', () => {
    for (const text of CORPUS.filter((t) => !t.startsWith('deny ingress from')))
      roundTrips(parseRequest(text));
  });

  it(
    'random text: a request or a NetpolError, never anything else',
    () => {
      const text = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.string({ unit: fc.constantFrom(...'allow to/ab=*,|()!? -.:019"`_&;<>'), maxLength: 60 }),
      );
      fc.assert(fc.property(text, check), { numRuns: RUNS.random });
    },
    TIMEOUT,
  );

  it(
    'token soup: a request or a NetpolError, and round trips when it parses',
    () => {
      const soup = fc
        .array(fc.tuple(token, glue), { maxLength: 14 })
        .map((parts) => parts.map(([t, g]) => t + g).join(''));
      fc.assert(fc.property(soup, check), { numRuns: RUNS.soup });
    },
    TIMEOUT,
  );

  it(
    'mutated valid requests: a request or a NetpolError, and round trips when it parses',
    () => {
      const mutated = fc
        .tuple(fc.constantFrom(...CORPUS), fc.array(mutation, { minLength: 1, maxLength: 4 }))
        .map(([text, ms]) => mutate(text, ms));
      fc.assert(fc.property(mutated, check), { numRuns: RUNS.mutated });
    },
    TIMEOUT,
  );

  it(
    'generated requests: the canonical form reads back to the same request',
    () => {
      fc.assert(fc.property(generatedRequest, roundTrips), { numRuns: RUNS.generated });
    },
    TIMEOUT,
  );
});

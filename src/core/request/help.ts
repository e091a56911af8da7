/**
 * The grammar explained with examples, one short plain-text page per topic. Each page fits one Slack
 * section (under 3,000 characters, pinned by a test) and every example on it parses (also pinned).
 */

export const HELP_TOPICS = [
  'allow',
  'deny',
  'isolate',
  'audit',
  'query',
  'selectors',
  'ports',
  'keywords',
  'recipes',
] as const;
export type HelpTopic = (typeof HELP_TOPICS)[number];

const ALIASES = new Map<string, HelpTopic>([
  ['queries', 'query'],
  ['can', 'query'],
  ['who', 'query'],
  ['what', 'query'],
  ['selector', 'selectors'],
  ['endpoint', 'selectors'],
  ['endpoints', 'selectors'],
  ['peer', 'selectors'],
  ['peers', 'selectors'],
  ['labels', 'selectors'],
  ['port', 'ports'],
  ['--audit', 'audit'],
  ['dry-run', 'audit'],
  ['keyword', 'keywords'],
  ['recipe', 'recipes'],
  ['examples', 'recipes'],
  ['example', 'recipes'],
]);

/** The topic a word names (`help port` → `ports`), or undefined. */
export function helpTopic(word: string): HelpTopic | undefined {
  const lower = word.toLowerCase();
  return (HELP_TOPICS as readonly string[]).includes(lower) ? (lower as HelpTopic) : ALIASES.get(lower);
}

const OVERVIEW = `netpol turns requests into Kubernetes NetworkPolicies. Requests:
  allow SOURCES to DESTINATIONS [on PORTS] [both-sides]
  deny ingress|egress|all in NAMESPACE [except ...]
  deny ingress to PODS [except ...]   /   deny egress from PODS [except ...]
  isolate NAMESPACE
  ... --audit WINDOW                    (after allow, deny or isolate: report, drop nothing)
  can SOURCE reach DESTINATION [on PORTS]?
  who can reach PODS [on PORTS]   /   what can PODS reach [on PORTS]
  help [TOPIC]

Examples:
  allow frontend/app=nginx to backend/app=api on tcp/8080
  deny egress from default/app=foo except dns | cluster
  can frontend/nginx reach backend/api on 8080?

PODS are written NAMESPACE/SELECTOR: backend/*, frontend/app=nginx, frontend/deploy/web, */*.
Every request is echoed back in its canonical form before anything is applied.
Topics: ${HELP_TOPICS.join(', ')}. Try "help allow".`;

const PAGES: Record<HelpTopic, string> = {
  allow: `allow SOURCES to DESTINATIONS [on PORTS] [both-sides]
Opens connections from the sources to the destinations. NetworkPolicy only ever adds allowed traffic.
  allow frontend/app=nginx to backend/app=api on tcp/8080
  allow frontend nginx to backend          (space instead of slash; "nginx" is looked up)
  allow backend/* to 10.0.0.0/16 on tcp/5432
  allow */* to default/app=web             (every pod in every namespace)
  allow all to default/app=web on tcp/80   (everything, outside the cluster too)
  allow default/app=api from frontend/*    (same as "allow frontend/* to default/app=api")
Alternatives: separate them with "|" or "or": allow a/* | b/* to c/*. "and" is read as "or" too, with a warning:
within one selector, commas mean AND (app=web,tier=api).
"port 80" and "ports 80,443" work as well as "on".
both-sides: also write the egress policy on the source side, even if the source is not isolated yet.`,

  deny: `deny DIRECTION in NAMESPACE [except EXCEPTIONS]
deny ingress to PODS [except ...]   deny egress from PODS [except ...]   deny all for PODS [except ...]
DIRECTION is ingress (incoming), egress (outgoing) or all (both).
NetworkPolicy has no deny rule: "deny" isolates the pods in that direction, and the exceptions stay allowed.
  deny ingress in default
  deny ingress to default/app=web
  deny egress from default/app=foo except dns
  deny egress from default/app=foo except dns | default/app=db on tcp/5432
  deny egress in default except dns | public
  deny all in default
Exceptions are separated by "|" or "or", each with its own optional ports.
Blocking one peer ("deny ingress from X", "deny egress to X") cannot be expressed: isolate the pods and
allow what they need instead. Egress isolation blocks DNS too; add "except dns".`,

  isolate: `isolate NAMESPACE
Pods of the namespace accept traffic only from pods of the same namespace (recipe 04).
  isolate backend
The same as: allow backend/* to backend/*
To refuse everything instead: deny ingress in backend.`,

  audit: `allow|deny|isolate ... --audit WINDOW
Rolls the policies out in audit mode: nothing is dropped because of them. The node agents report the
traffic they would block; after the window the request's thread gets that report and an Enforce button.
  deny all in backend --audit 1h
  deny egress from default/app=foo except dns --audit 30m
  allow frontend/app=nginx to backend/app=api on tcp/8080 --audit 2d
  isolate backend --audit 90s
WINDOW: a whole number and a unit (s, m, h, d), from 10s to 30d. --audit comes last.
The policies carry the annotation netpol.io/audit: "WINDOW"; having it is what makes them audit-only.
When the window ends nothing starts dropping by itself: enforcing is a new request (the Enforce button,
or the same request without --audit), approved like any other.
Questions (can, who, what) and show leave audit policies out of their verdicts and list them apart.`,

  query: `Queries answer from the live cluster and change nothing.
  can SOURCE reach DESTINATION [on PORTS] [?]
  who can reach PODS [on PORTS]
  what can PODS reach [on PORTS]
SOURCE and DESTINATION are pods or an IP address.
  can frontend/nginx reach backend/api on 8080?
  can backend/app=api reach 10.0.0.5 on tcp/5432
  who can reach backend/app=db on tcp/5432
  what can frontend/deploy/web reach`,

  selectors: `Pods are written NAMESPACE/PODS, or NAMESPACE PODS with a space.
NAMESPACE: a name (backend), * (every namespace) or ns(LABELS) (namespaces by label).
PODS:
  *                      every pod (also: the namespace alone, "backend")
  app=web,tier!=db       labels; commas mean AND
  deploy/web             the pods of a workload: deploy, sts, ds, rs, job, cronjob, svc, pod
  nginx                  a name, looked up in the cluster (workload, Service, app label)
Label requirements: k=v, k==v, k!=v, k in (a,b), k notin (a,b), k=* (has the label), !k (has not).
A bare key among others means "has the label": app=web,canary.
Keys may have a prefix: monitoring/app.kubernetes.io/name=prometheus.
Examples:
  backend/*    */*    */app=web    frontend/deploy/nginx
  ns(purpose=production)/*    ns(team=operations)/type=monitoring
  ns(kubernetes.io/metadata.name in (frontend,backend))/*
ns(team=ops)/x is one peer (AND); "ns(team=ops)/* | default/x" is two (OR).
Addresses: 10.0.0.0/16, fd00::/8, 10.0.0.1 (= /32), 0.0.0.0/0 except 10.0.0.0/8,192.168.0.0/16`,

  ports: `on PORTS, after allow, an exception or a query. Without it: every port ("on any").
  on tcp/8080        on 8080 (TCP is the default, and always shown)
  on udp/53          on 80,443          on tcp/80,udp/53
  on 8000-8100       a range (needs endPort support in the network plugin)
  on http            a named container port, looked up on the destination pods
  on dns             udp/53 and tcp/53
  on udp             every UDP port
  on any             every port
Protocols: tcp, udp, sctp. "port 80" and "ports 80,443" work as well as "on 80".
Policies see the pod's port, not the Service port: the bot checks and warns.`,

  keywords: `Keywords stand for peers that are hard to write by hand:
  all        everything, outside the cluster included
  */*        every pod in every namespace (not outside)
  cluster    every pod in the cluster
  dns        the cluster DNS (kube-dns/CoreDNS), UDP and TCP 53
  world      every address outside the cluster
  public     world minus private, link-local (cloud metadata) and loopback ranges
Examples:
  deny egress from default/app=foo except dns | cluster
  deny egress in default except dns | public
  allow default/app=crawler to world on tcp/443
To name a namespace called like a keyword, write it with a slash: dns/*.`,

  recipes: `The network policy recipes, as requests:
01 deny ingress to default/app=web
02 allow default/app=bookstore to default/app=bookstore,role=api
02a allow all to default/app=web
03 deny ingress in default
04 isolate default
05 allow */* to default/app=web
06 allow ns(purpose=production)/* to default/app=web
07 allow ns(team=operations)/type=monitoring to default/app=web
08 allow all to default/app=web on tcp/80
09 allow default/role=monitoring to default/app=apiserver on tcp/5000
11 deny egress from default/app=foo except dns
12 deny egress in default except dns
14 deny egress from default/app=foo except dns | cluster
Allow all egress: allow default/* to all
Port range: allow default/role=db to 10.0.0.0/24 on tcp/32000-32768`,
};

/** The overview, or one topic's page; an unknown topic gets the overview with a note. */
export function helpText(topic?: string): string {
  if (topic === undefined || topic.trim() === '') return OVERVIEW;
  const known = helpTopic(topic.trim());
  if (known === undefined) return `There is no help topic "${topic.trim().slice(0, 40)}".\n\n${OVERVIEW}`;
  return PAGES[known];
}

export const HELP_TEXT = OVERVIEW;

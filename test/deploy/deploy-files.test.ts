/**
 * The deployment files against the code they deploy: the Slack app manifest asks for exactly the
 * scopes of the Web API methods the bot calls; docker-compose.yml gives the bot and the worker a
 * configuration that loadBotConfig / loadWorkerConfig accept; the Helm chart's values exist, its
 * ClusterRole grants what server-side apply needs and nothing on Secrets; the node agent's DaemonSet
 * sets what loadAgentConfig reads, with list/watch only and the capabilities it needs; the
 * Dockerfile runs the entry points that exist and ships the dataplane. No Docker engine, cluster or helm binary is needed: the files are parsed
 * (Helm templates as text, with the template actions stripped).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import {
  DEFAULT_BOT_METRICS_PORT,
  loadBotConfig,
  loadWorkerConfig,
  type Env,
} from '../../src/platform/config/load-config';
import { loadAgentConfig } from '../../src/platform/config/agent-config';
import { ENVIRONMENT } from '../../src/platform/config/schema';

const ROOT = join(__dirname, '..', '..');
const CHART = join(ROOT, 'helm', 'netpol');

type Obj = Record<string, unknown>;

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** One YAML document, duplicate keys refused, every parse error reported. */
function parseYaml(text: string, where: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS();
}

function obj(value: unknown, where: string): Obj {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${where} is not a mapping`);
  return value as Obj;
}

function at(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) current = obj(current, path)[key];
  return current;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every environment variable the configuration loader reads (env.NAME). */
/** Every environment variable the bot's and the workers' configuration reads (schema.ts). */
const KNOWN_ENV = new Set([...Object.keys(ENVIRONMENT.bot), ...Object.keys(ENVIRONMENT.worker)]);

/** Every environment variable loadAgentConfig reads. */
const AGENT_ENV = new Set(Object.keys(ENVIRONMENT.agent));

describe('slack-app-manifest.yaml', () => {
  const manifest = parseYaml(read('slack-app-manifest.yaml'), 'slack-app-manifest.yaml');
  /** The Web API methods the bot calls, and the bot scope each needs ('' when none). */
  const SCOPE_OF_METHOD: Record<string, string> = {
    'chat.postMessage': 'chat:write',
    'chat.update': 'chat:write',
    'chat.postEphemeral': 'chat:write',
    'usergroups.users.list': 'usergroups:read',
    // /netpol graph's PNG: files.getUploadURLExternal and files.completeUploadExternal (issue 10).
    'files.uploadV2': 'files:write',
    // Bolt's start-up check of the token.
    'auth.test': '',
  };
  const NAMESPACES =
    'admin|api|apps|assistant|auth|bookmarks|bots|calls|canvases|chat|conversations|dialog|dnd|emoji|files|' +
    'functions|migration|oauth|openid|pins|reactions|reminders|rtm|search|stars|team|usergroups|users|views|workflows';

  it('is a version 1 manifest for the netpol bot', () => {
    expect(at(manifest, '_metadata.major_version')).toBe(1);
    expect(at(manifest, 'display_information.name')).toBe('netpol');
    expect(at(manifest, 'features.bot_user.display_name')).toBe('netpol');
    // Slack's limits on the fields shown to people.
    expect(String(at(manifest, 'display_information.description')).length).toBeLessThanOrEqual(140);
    const long = String(at(manifest, 'display_information.long_description'));
    expect(long.length).toBeGreaterThanOrEqual(175);
    expect(long.length).toBeLessThanOrEqual(4000);
  });

  it('sends /netpol and the button clicks to the bot at /slack/events', () => {
    const commands = at(manifest, 'features.slash_commands') as Obj[];
    expect(commands).toHaveLength(1);
    const command = obj(commands[0], 'slash command');
    expect(command.command).toBe('/netpol');
    expect(command.url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
    expect(command.usage_hint).toBe('allow frontend nginx to backend | show backend | help');
    expect(String(command.description).length).toBeGreaterThan(0);
    expect(at(manifest, 'settings.interactivity')).toEqual({ is_enabled: true, request_url: command.url });
  });

  it('asks for exactly the bot scopes of the Web API methods the bot calls, plus commands', () => {
    const called = new Set<string>();
    const pattern = new RegExp(`[cC]lient\\.((?:${NAMESPACES})(?:\\.[a-zA-Z][a-zA-Z0-9]*)+)\\(`, 'g');
    for (const file of sourceFiles(join(ROOT, 'src')))
      for (const match of readFileSync(file, 'utf8').matchAll(pattern)) called.add(match[1] as string);
    // A new method must be added above with its scope (and to the manifest when it needs a new one).
    const unknown = [...called].filter((method) => !(method in SCOPE_OF_METHOD));
    expect(unknown).toEqual([]);
    expect(called.has('chat.postMessage')).toBe(true);
    const needed = new Set(['commands', ...[...called].map((m) => SCOPE_OF_METHOD[m] as string)]);
    needed.delete('');
    const scopes = at(manifest, 'oauth_config.scopes') as Obj;
    expect([...(scopes.bot as string[])].sort()).toEqual([...needed].sort());
    expect([...(scopes.bot as string[])].sort()).toEqual([
      'chat:write',
      'commands',
      'files:write',
      'usergroups:read',
    ]);
    expect(scopes.user).toBeUndefined();
  });

  it('uses HTTP mode, with no org-wide deployment and no token rotation', () => {
    expect(at(manifest, 'settings.socket_mode_enabled')).toBe(false);
    expect(at(manifest, 'settings.org_deploy_enabled')).toBe(false);
    expect(at(manifest, 'settings.token_rotation_enabled')).toBe(false);
    expect(at(manifest, 'settings.event_subscriptions')).toBeUndefined();
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml'), 'docker-compose.yml');
  const services = obj(at(compose, 'services'), 'services');
  /** What the .env file next to docker-compose.yml holds. */
  const DOT_ENV: Env = {
    SLACK_BOT_TOKEN: 'xoxb-placeholder',
    SLACK_SIGNING_SECRET: 'placeholder-signing-secret',
    NETPOL_APPROVAL_CHANNEL: 'C0123ABCD',
    NETPOL_APPROVERS: 'U012AB3CD,U045EF6GH',
    NETPOL_CLUSTER: 'prod',
  };

  /** Compose's interpolation: $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?err}, ${NAME?err}, $$. */
  function interpolate(text: string, env: Env): string {
    return text.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (whole, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
        if (whole === '$$') return '$';
        if (bare !== undefined) return env[bare] ?? '';
        const value = env[name as string];
        const missing = value === undefined || (colon === ':' && value === '');
        if (op === '?' && missing) throw new Error(`${name}: ${arg}`);
        if (op === '-' && missing) return arg as string;
        return value ?? '';
      },
    );
  }

  function environment(service: string, env: Env): Env {
    const raw = at(services, `${service}.environment`);
    const entries: [string, unknown][] = Array.isArray(raw)
      ? raw.map((line: string) => [line.split('=')[0] as string, line.split('=').slice(1).join('=')])
      : Object.entries(obj(raw, `${service}.environment`));
    return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(String(v ?? ''), env)]));
  }

  it('runs Redis 7 with an append-only file on a volume', () => {
    const redis = obj(services.redis, 'redis');
    expect(redis.image).toBe('redis:7');
    expect((redis.command as string[]).join(' ')).toMatch(/--appendonly yes/);
    const volume = String((redis.volumes as string[])[0]).split(':')[0] as string;
    expect(Object.keys(obj(at(compose, 'volumes'), 'volumes'))).toContain(volume);
  });

  it('gives the bot everything loadBotConfig requires, from .env', () => {
    const bot = obj(services.bot, 'bot');
    expect(bot.build).toBe('.');
    expect(bot.ports).toContain('3000:3000');
    const env = environment('bot', DOT_ENV);
    for (const name of Object.keys(env)) expect(KNOWN_ENV).toContain(name);
    const config = loadBotConfig(env);
    expect(config.slack.mode).toBe('http');
    expect(config.slack.port).toBe(3000);
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(config.approvalChannel).toBe('C0123ABCD');
    expect(config.approvers.default.users).toEqual(['U012AB3CD', 'U045EF6GH']);
    expect(config.clusters).toEqual(['prod']);
  });

  it('refuses to start without the bot token, the signing secret or the approval channel', () => {
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'NETPOL_APPROVAL_CHANNEL']) {
      const env = { ...DOT_ENV };
      delete env[name];
      expect(() => environment('bot', env)).toThrow(name);
    }
  });

  it('gives the worker its cluster, the same Redis and the mounted kubeconfig', () => {
    const worker = obj(services.worker, 'worker');
    expect(worker.image).toBe(obj(services.bot, 'bot').image);
    expect(worker.command).toEqual(['node', 'dist/src/workers/main.js']);
    const env = environment('worker', DOT_ENV);
    for (const name of Object.keys(env)) expect(KNOWN_ENV).toContain(name);
    const config = loadWorkerConfig(env);
    expect(config.cluster).toBe('prod');
    expect(config.kubeconfig).toBe('/kube/config');
    expect(config.redisUrl).toBe(loadBotConfig(environment('bot', DOT_ENV)).redisUrl);
    const mounts = (worker.volumes as string[]).map((v) => interpolate(v, DOT_ENV).split(':')[1]);
    expect(mounts).toContain('/kube/config');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds on node:20-bookworm-slim and runs the bot as a non-root user by default', () => {
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    // The dataplane's build stage (clang, libbpf-dev) on Debian bookworm, as the runtime's Node image.
    expect(froms).toEqual(['debian:bookworm-slim', 'node:20-bookworm-slim', 'node:20-bookworm-slim']);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    const user = /^USER\s+(\S+)/m.exec(dockerfile)?.[1] ?? 'root';
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/bot\/main\.js"\]$/m);
  });

  it('names entry points that the build produces', () => {
    const build = obj(parseYaml(read('tsconfig.build.json'), 'tsconfig.build.json'), 'tsconfig.build.json');
    expect(build.include).toContain('src');
    for (const entry of ['src/bot/main.ts', 'src/workers/main.ts', 'src/agent/main.ts'])
      expect(existsSync(join(ROOT, entry))).toBe(true);
  });

  it('builds the eBPF object and loader and ships them where the agent looks (bpf/build), with libbpf1 and ip', () => {
    const stages = dockerfile.split(/^FROM /m).slice(1);
    const bpf = stages[0] as string;
    expect(bpf).toMatch(/^debian:bookworm-slim AS bpf$/m);
    for (const pkg of ['clang', 'llvm', 'libbpf-dev', 'make'])
      expect(bpf).toMatch(new RegExp(`\\b${pkg}\\b`));
    expect(bpf).toMatch(/^RUN make -C bpf\b/m);
    const runtime = stages[stages.length - 1] as string;
    expect(runtime).toMatch(/apt-get install[^\n]*\blibbpf1\b/);
    expect(runtime).toMatch(/apt-get install[^\n]*\biproute2\b/);
    expect(runtime).toContain(
      'COPY --from=bpf /bpf/build/netpol-loader /bpf/build/netpol.bpf.o ./bpf/build/',
    );
    // BpfDataplane's default paths: dist/src/adapters/bpf -> ../../../bpf/build = /app/bpf/build.
    expect(read('src/adapters/bpf/bpf-dataplane.ts')).toContain(
      "join(__dirname, '..', '..', '..', 'bpf', 'build')",
    );
    expect(read('.dockerignore')).toMatch(/^!bpf\/$/m);
  });
});

describe('README configuration table', () => {
  it("documents every variable the agent's configuration reads", () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('### Configuration'), readme.indexOf('### Running for real'));
    const documented = new Set([...table.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]));
    expect([...AGENT_ENV].filter((name) => !documented.has(name))).toEqual([]);
    expect(AGENT_ENV.has('NODE_NAME')).toBe(true);
  });
});

describe('helm/netpol', () => {
  const chart = obj(parseYaml(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'), 'Chart.yaml'), 'Chart.yaml');
  const values = obj(parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8'), 'values.yaml'), 'values');
  const templateDir = join(CHART, 'templates');
  const templates = Object.fromEntries(
    readdirSync(templateDir).map((name) => [name, readFileSync(join(templateDir, name), 'utf8')]),
  );

  /**
   * A template as YAML: lines that are only template actions go, other actions become a plain word.
   * Good enough for these templates, which keep every action either on its own line or in a value.
   */
  function templateYaml(name: string): Obj {
    const text = (templates[name] as string)
      .split('\n')
      .filter((line) => !/^\s*\{\{.*\}\}\s*$/.test(line))
      .map((line) => line.replace(/\{\{.*?\}\}/g, 'x'))
      .join('\n');
    return obj(parseYaml(text, `helm/netpol/templates/${name}`), name);
  }

  it('is a v2 application chart', () => {
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe('netpol');
    expect(chart.type).toBe('application');
    expect(String(chart.version)).toMatch(/^\d+\.\d+\.\d+$/);
    expect(String(chart.appVersion)).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('defaults to a worker only, non-root, read-only, with no capabilities', () => {
    expect(at(values, 'bot.enabled')).toBe(false);
    expect(at(values, 'worker.enabled')).toBe(true);
    expect(at(values, 'podSecurityContext.runAsNonRoot')).toBe(true);
    expect(at(values, 'securityContext.readOnlyRootFilesystem')).toBe(true);
    expect(at(values, 'securityContext.allowPrivilegeEscalation')).toBe(false);
    expect(at(values, 'securityContext.capabilities.drop')).toEqual(['ALL']);
  });

  it('refers only to values that values.yaml defines', () => {
    const missing: string[] = [];
    for (const [name, text] of Object.entries(templates)) {
      for (const match of text.matchAll(/\.Values((?:\.[A-Za-z0-9_]+)+)/g)) {
        const path = (match[1] as string).slice(1);
        let current: unknown = values;
        for (const key of path.split('.')) {
          if (current === null || typeof current !== 'object' || !(key in (current as Obj))) {
            missing.push(`${name}: .Values.${path}`);
            break;
          }
          current = (current as Obj)[key];
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('has templates that are YAML once the template actions are set aside', () => {
    const manifests = Object.keys(templates).filter((n) => n.endsWith('.yaml'));
    expect(manifests.sort()).toEqual(
      [
        'bot-configmap.yaml',
        'bot-deployment.yaml',
        'bot-service.yaml',
        'agent-clusterrole.yaml',
        'agent-clusterrolebinding.yaml',
        'agent-daemonset.yaml',
        'agent-serviceaccount.yaml',
        'agent-metrics-service.yaml',
        'clusterrole.yaml',
        'clusterrolebinding.yaml',
        'redis-secret.yaml',
        'serviceaccount.yaml',
        'worker-deployment.yaml',
        'metrics-service.yaml',
        'servicemonitor.yaml',
        'grafana-dashboard-configmap.yaml',
      ].sort(),
    );
    for (const name of manifests) {
      const object = templateYaml(name);
      expect(typeof object.apiVersion).toBe('string');
      expect(typeof object.kind).toBe('string');
    }
    expect(Object.keys(templates)).toEqual(expect.arrayContaining(['_helpers.tpl', 'NOTES.txt']));
  });

  it('grants the worker server-side apply and delete of networkpolicies, reads for the rest, nothing on Secrets', () => {
    const role = templateYaml('clusterrole.yaml');
    expect(role.kind).toBe('ClusterRole');
    const rules = role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    const verbsOf = (group: string, resource: string): string[] =>
      rules
        .filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource))
        .flatMap((r) => r.verbs);
    // Server-side apply is a PATCH; creating a new object that way is also authorized as create.
    expect(verbsOf('networking.k8s.io', 'networkpolicies').sort()).toEqual(
      ['create', 'delete', 'get', 'list', 'patch', 'watch'].sort(),
    );
    for (const resource of ['namespaces', 'pods', 'services'])
      expect(verbsOf('', resource).sort()).toEqual(['get', 'list', 'watch']);
    for (const resource of ['deployments', 'statefulsets', 'daemonsets', 'replicasets'])
      expect(verbsOf('apps', resource).sort()).toEqual(['get', 'list', 'watch']);
    for (const resource of ['jobs', 'cronjobs'])
      expect(verbsOf('batch', resource).sort()).toEqual(['get', 'list', 'watch']);
    for (const rule of rules) {
      expect(rule.resources).not.toContain('secrets');
      expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
      for (const verb of ['update', 'escalate', 'bind', 'impersonate'])
        expect(rule.verbs).not.toContain(verb);
    }
    expect(templateYaml('clusterrolebinding.yaml').roleRef).toMatchObject({ kind: 'ClusterRole' });
  });

  it('runs the worker in-cluster on its ServiceAccount, with its cluster and Redis, and the bot with its Secret', () => {
    const worker = templates['worker-deployment.yaml'] as string;
    expect(worker).toContain("command: ['node', 'dist/src/workers/main.js']");
    expect(worker).toMatch(/serviceAccountName:/);
    const bot = templates['bot-deployment.yaml'] as string;
    expect(bot).toContain("command: ['node', 'dist/src/bot/main.js']");
    expect(bot).toMatch(/automountServiceAccountToken: false/);
    const helpers = templates['_helpers.tpl'] as string;
    const envNames = (text: string) => [...text.matchAll(/- name: ([A-Z][A-Z0-9_]*)$/gm)].map((m) => m[1]);
    const workerEnv = [...envNames(worker), ...envNames(helpers)];
    expect(workerEnv).toEqual(expect.arrayContaining(['NETPOL_CLUSTER', 'REDIS_URL']));
    expect(workerEnv).not.toContain('KUBECONFIG');
    expect(envNames(bot)).toEqual(
      expect.arrayContaining([
        'SLACK_BOT_TOKEN',
        'SLACK_SIGNING_SECRET',
        'SLACK_APP_TOKEN',
        'NETPOL_CLUSTERS',
      ]),
    );
    for (const name of [...workerEnv, ...envNames(bot)]) expect(KNOWN_ENV).toContain(name);
  });
  /** `value:` of each `- name: VAR` in a template, as the chart renders it from `values`. */
  function renderedEnv(template: string, names: readonly string[], values: Obj): Env {
    const env: Env = {};
    for (const name of names) {
      const match = new RegExp(`- name: ${name}\\n\\s*value: \\{\\{ (.+?) \\}\\}`).exec(template);
      if (match === null) throw new Error(`${name} is not set from a value`);
      const [expression = ''] = match.slice(1);
      const path = /\.Values\.([\w.]+)/.exec(expression)?.[1];
      const value = path === undefined ? undefined : at(values, path);
      env[name] = Array.isArray(value) ? value.join(',') : String(value);
    }
    return env;
  }

  it('sets the drop alerts from worker.alerts, only when worker.alerts.channel is set', () => {
    const worker = templates['worker-deployment.yaml'] as string;
    const gated = worker.slice(worker.indexOf('{{- if .Values.worker.alerts.channel }}'));
    expect(gated).not.toBe(worker);
    const block = gated.slice(0, gated.search(/\{\{- end \}\}\n\s*\{\{- include/));
    for (const name of ['NETPOL_ALERT_CHANNEL', 'NETPOL_ALERT_CHANNELS', 'NETPOL_ALERT_WINDOW'])
      expect(block).toContain(`- name: ${name}\n`);
    for (const value of ['channel', 'channels', 'window'])
      expect(block).toContain(`.Values.worker.alerts.${value} `);
    expect(at(values, 'worker.alerts.channel')).toBe(''); // off by default: no alert worker
    // What a user fills in is what the worker loads (the list joined with commas, as the template does).
    const config = loadWorkerConfig({
      NETPOL_CLUSTER: 'prod',
      NETPOL_ALERT_CHANNEL: 'C0ALERTS',
      NETPOL_ALERT_CHANNELS: ['backend=C0BACKEND', 'web=C0WEB'].join(','),
      NETPOL_ALERT_WINDOW: '90s',
    });
    expect(config.alerts).toEqual({
      defaultChannel: 'C0ALERTS',
      channels: expect.objectContaining({ backend: 'C0BACKEND', web: 'C0WEB' }),
      windowMs: 90_000,
    });
  });

  it("sets the agent's observed-flow settings from agent.flows, whose defaults are the agent's", () => {
    const names = [
      'NETPOL_FLOW_SAMPLE_ONE_IN',
      'NETPOL_FLOW_INTERVAL',
      'NETPOL_FLOW_MAX_KEYS',
      'NETPOL_FLOW_RETENTION',
    ];
    const env = renderedEnv(templates['agent-daemonset.yaml'] as string, names, values);
    expect(Object.keys(env)).toEqual(names);
    const base = { NODE_NAME: 'node-1', NETPOL_CLUSTER: 'prod', NETPOL_NODE_ADDRESSES: '10.0.0.1' };
    expect(loadAgentConfig({ ...base, ...env }).flows).toEqual(loadAgentConfig(base).flows);
    expect(
      loadAgentConfig({
        ...base,
        ...renderedEnv(templates['agent-daemonset.yaml'] as string, names, {
          agent: { flows: { sampleOneIn: 0, interval: '500ms', maxKeys: 10, retention: '1h' } },
        }),
      }).flows,
    ).toEqual({ sampleOneIn: 0, intervalMs: 500, maxKeys: 10, retentionMs: 3_600_000 });
  });

  describe('metrics', () => {
    const deployments = {
      worker: templateYaml('worker-deployment.yaml'),
      bot: templateYaml('bot-deployment.yaml'),
    };
    const containerOf = (deployment: Obj) =>
      obj((at(deployment, 'spec.template.spec.containers') as Obj[])[0], 'container');

    it('serves the bot\'s and the workers\' /metrics on metrics.port, named "metrics", announced to Prometheus', () => {
      expect(at(values, 'metrics.port')).toBe(DEFAULT_BOT_METRICS_PORT);
      expect(at(values, 'metrics.podAnnotations')).toBe(true);
      for (const [name, deployment] of Object.entries(deployments)) {
        const text = templates[`${name}-deployment.yaml`] as string;
        const ports = containerOf(deployment).ports as Obj[];
        expect(ports.find((p) => p.name === 'metrics')).toEqual({
          name: 'metrics',
          containerPort: 'x',
          protocol: 'TCP',
        });
        expect(text).toContain('containerPort: {{ .Values.metrics.port }}');
        expect(text).toContain('{{- include "netpol.metricsEnv" . | nindent 12 }}');
        // The annotations, only when metrics.podAnnotations.
        expect(text).toMatch(
          /\{\{- if \.Values\.metrics\.podAnnotations \}\}\n\s+prometheus\.io\/scrape: 'true'\n\s+prometheus\.io\/port: \{\{ \.Values\.metrics\.port \| quote \}\}\n\s+prometheus\.io\/path: \/metrics\n\s+\{\{- end \}\}/,
        );
      }
      // The port the pods listen on is the one NETPOL_METRICS_PORT tells the process.
      const helpers = templates['_helpers.tpl'] as string;
      expect(helpers).toMatch(
        /- name: NETPOL_METRICS_PORT\n\s+value: \{\{ \.Values\.metrics\.port \| quote \}\}/,
      );
      expect(helpers).toMatch(/with \.Values\.metrics\.host \}\}\n- name: NETPOL_METRICS_HOST/);
      // A hung worker is restarted: its liveness probe is /healthz on that port.
      expect(at(containerOf(deployments.worker), 'livenessProbe.httpGet')).toEqual({
        path: '/healthz',
        port: 'metrics',
      });
    });

    it('has an opt-in ServiceMonitor over headless Services whose "metrics" port reaches each process\'s /metrics', () => {
      expect(at(values, 'metrics.serviceMonitor.enabled')).toBe(false);
      expect((templates['servicemonitor.yaml'] as string).split('\n')[0]).toBe(
        '{{- if .Values.metrics.serviceMonitor.enabled }}',
      );
      const monitor = templateYaml('servicemonitor.yaml');
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(monitor.kind).toBe('ServiceMonitor');
      expect(at(monitor, 'spec.endpoints')).toEqual([{ port: 'metrics', path: '/metrics', interval: 'x' }]);
      expect(obj(at(monitor, 'spec.selector.matchLabels'), 'matchLabels')['netpol.io/metrics']).toBe('true');
      // Each Service: headless, labelled for the monitor, port "metrics" onto the pods' named port.
      const agentPort = (((templateYaml('agent-daemonset.yaml').spec as Obj).template as Obj).spec as Obj)
        .containers as Obj[];
      const agentPortName = ((agentPort[0] as Obj).ports as Obj[])[0]!.name;
      for (const [file, targetPort, gate] of [
        ['metrics-service.yaml', 'metrics', '{{- if .Values.metrics.serviceMonitor.enabled }}'],
        [
          'agent-metrics-service.yaml',
          agentPortName,
          '{{- if and .Values.metrics.serviceMonitor.enabled .Values.agent.enabled }}',
        ],
      ] as const) {
        const service = templateYaml(file);
        expect((templates[file] as string).split('\n')[0]).toBe(gate);
        expect(service.kind).toBe('Service');
        expect(at(service, 'spec.clusterIP')).toBe('None');
        expect(obj(at(service, 'metadata.labels'), 'labels')['netpol.io/metrics']).toBe('true');
        expect(at(service, 'spec.ports')).toEqual([
          { name: 'metrics', port: 'x', targetPort, protocol: 'TCP' },
        ]);
      }
    });

    it("can ship the Grafana dashboard to Grafana's sidecar", () => {
      expect(at(values, 'metrics.grafanaDashboard.enabled')).toBe(false);
      const configMap = templateYaml('grafana-dashboard-configmap.yaml');
      expect(obj(at(configMap, 'metadata.labels'), 'labels').grafana_dashboard).toBe('1');
      expect(templates['grafana-dashboard-configmap.yaml']).toContain('.Files.Get "dashboards/netpol.json"');
      expect(() => JSON.parse(read('helm/netpol/dashboards/netpol.json'))).not.toThrow();
    });
  });

  describe('the node agent', () => {
    const daemonSet = templateYaml('agent-daemonset.yaml');
    const pod = obj(at(daemonSet, 'spec.template.spec'), 'pod spec');
    const containers = pod.containers as Obj[];
    const agent = obj(containers[0], 'agent container');
    const env = agent.env as { name: string; value?: unknown; valueFrom?: Obj }[];
    const helpers = templates['_helpers.tpl'] as string;
    // What netpol.commonEnv sets (the agent does not include the bot's and workers' metricsEnv).
    const commonEnvBlock = helpers
      .slice(helpers.indexOf('define "netpol.commonEnv"'))
      .split('{{- define')[0]!;
    const commonEnv = [...commonEnvBlock.matchAll(/- name: ([A-Z][A-Z0-9_]*)$/gm)].map((m) => m[1] as string);
    const setNames = [...env.map((e) => e.name), ...commonEnv];

    it('is an opt-in DaemonSet running src/agent/main.ts on the node network', () => {
      expect(at(values, 'agent.enabled')).toBe(false);
      expect((templates['agent-daemonset.yaml'] as string).split('\n')[0]).toBe(
        '{{- if .Values.agent.enabled }}',
      );
      expect(daemonSet.kind).toBe('DaemonSet');
      expect(containers).toHaveLength(1);
      expect(agent.command).toEqual(['node', '--max-semi-space-size=4', 'dist/src/agent/main.js']);
      expect(pod.hostNetwork).toBe(true);
      expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
      expect(pod.hostPID).toBeUndefined();
      expect(pod.hostIPC).toBeUndefined();
      expect(at(agent, 'resources')).toBeDefined();
    });

    it("starts node with options this node accepts (a typo would crash-loop every node's agent)", () => {
      const options = (agent.command as string[]).slice(1, -1);
      const run = spawnSync(process.execPath, [...options, '-e', '0'], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    });

    it('adds BPF and NET_ADMIN to an otherwise empty set (no SYS_ADMIN: no setns in the node namespace), unprivileged, read-only', () => {
      const security = obj(agent.securityContext, 'securityContext');
      expect(security.privileged).toBe(false);
      expect(security.allowPrivilegeEscalation).toBe(false);
      expect(security.readOnlyRootFilesystem).toBe(true);
      expect(at(security, 'capabilities.drop')).toEqual(['ALL']);
      expect([...(at(security, 'capabilities.add') as string[])].sort()).toEqual(['BPF', 'NET_ADMIN']);
      // Each added capability is explained in a comment above it.
      const text = templates['agent-daemonset.yaml'] as string;
      for (const cap of ['BPF', 'NET_ADMIN']) expect(text).toMatch(new RegExp(`# ${cap}: `));
      // The helper only avoids setns() (the SYS_ADMIN call) when it runs in the node namespace.
      expect(env.find((e) => e.name === 'NETPOL_NODE_NETNS')?.value).toBe('-');
      expect(pod.hostNetwork).toBe(true);
    });

    it("mounts the node's bpffs (the pin directory is under it) and nothing else of the host", () => {
      const volumes = pod.volumes as Obj[];
      const hostPaths = volumes.filter((v) => v.hostPath !== undefined);
      expect(hostPaths.map((v) => at(v, 'hostPath.path'))).toEqual(['/sys/fs/bpf']);
      const mount = (agent.volumeMounts as Obj[]).find((m) => m.name === hostPaths[0]!.name);
      expect(mount).toMatchObject({ mountPath: '/sys/fs/bpf', mountPropagation: 'HostToContainer' });
      expect(String(at(values, 'agent.pinDir'))).toMatch(/^\/sys\/fs\/bpf\/[^/]+/);
    });

    it('probes /readyz and /healthz and is scraped at /metrics on its port', () => {
      const port = (agent.ports as Obj[])[0] as Obj;
      expect(at(agent, 'readinessProbe.httpGet')).toEqual({ path: '/readyz', port: port.name });
      expect(at(agent, 'livenessProbe.httpGet')).toEqual({ path: '/healthz', port: port.name });
      const annotations = obj(at(daemonSet, 'spec.template.metadata.annotations'), 'annotations');
      expect(annotations['prometheus.io/scrape']).toBe('true');
      expect(annotations['prometheus.io/path']).toBe('/metrics');
      expect(annotations['prometheus.io/port']).toBeDefined();
      const text = templates['agent-daemonset.yaml'] as string;
      expect(text).toContain('prometheus.io/port: {{ .Values.agent.port | quote }}');
      expect(text).toContain('containerPort: {{ .Values.agent.port }}');
      expect(text).toMatch(
        /name: NETPOL_AGENT_HEALTH_PORT\n\s+value: \{\{ \.Values\.agent\.port \| quote \}\}/,
      );
    });

    it("sets what loadAgentConfig reads (NODE_NAME from the downward API), and nothing it doesn't", () => {
      expect(env.find((e) => e.name === 'NODE_NAME')?.valueFrom).toEqual({
        fieldRef: { fieldPath: 'spec.nodeName' },
      });
      expect(
        at(
          env.find((e) => e.name === 'NETPOL_NODE_ADDRESSES'),
          'valueFrom.fieldRef.fieldPath',
        ),
      ).toBeDefined();
      expect(at(values, 'agent.nodeAddressesFieldPath')).toBe('status.hostIP');
      for (const name of setNames) expect(AGENT_ENV).toContain(name);
      // In-cluster: the ServiceAccount, not a kubeconfig; the image's own object and loader; any
      // other variable the chart leaves unset has a default (a required one is always set).
      const unset = [...AGENT_ENV].filter((name) => !setNames.includes(name)).sort();
      expect(unset).toEqual(expect.arrayContaining(['KUBECONFIG', 'NETPOL_BPF_LOADER', 'NETPOL_BPF_OBJECT']));
      expect(
        unset.filter((name) => name !== 'KUBECONFIG' && ENVIRONMENT.agent[name]?.default === ''),
      ).toEqual([]);
    });

    it('runs as its own ServiceAccount, allowed exactly list and watch of namespaces, pods and networkpolicies', () => {
      expect(pod.serviceAccountName).toBe('x');
      expect(templates['agent-daemonset.yaml']).toContain(
        'serviceAccountName: {{ include "netpol.agentServiceAccountName" . }}',
      );
      const role = templateYaml('agent-clusterrole.yaml');
      expect(role.kind).toBe('ClusterRole');
      const grants = (role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]).flatMap(
        (rule) =>
          rule.apiGroups.flatMap((group) =>
            rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${group}/${resource}:${verb}`)),
          ),
      );
      expect(grants.sort()).toEqual(
        [
          '/namespaces:list',
          '/namespaces:watch',
          '/pods:list',
          '/pods:watch',
          'networking.k8s.io/networkpolicies:list',
          'networking.k8s.io/networkpolicies:watch',
        ].sort(),
      );
      const binding = templateYaml('agent-clusterrolebinding.yaml');
      expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole' });
      expect(templates['agent-clusterrolebinding.yaml']).toContain(
        'name: {{ include "netpol.fullname" . }}-agent',
      );
      expect(templates['agent-clusterrole.yaml']).toContain('name: {{ include "netpol.fullname" . }}-agent');
      expect(templateYaml('agent-serviceaccount.yaml').kind).toBe('ServiceAccount');
    });
  });
});

/**
 * `netpol`: the policy engine on the command line. `runCli` is the whole program minus the process:
 * it returns the exit code (0 success, 2 bad input, 1 a bug) and writes through the injected io, so
 * tests run it in-process. Bad input is one line on stderr, never a stack trace.
 *
 * Each command's module is imported when that command runs (`parse` without --state loads no state
 * reader, no matrix writer), and nothing loads the yaml library unless it reads or writes YAML
 * (core/yaml-library.ts): a short command should cost little more than starting node.
 */
import { isNetpolError, NetpolError } from '../core/errors';
import type { CliIo } from './cli-io';

const USAGE = `netpol: Kubernetes NetworkPolicies from plain requests, and answers to "can A reach B?"

usage:
  netpol parse "<request>" [--state FILE | --live] [--config FILE] [--output yaml|json]
      Print the NetworkPolicy a request produces (queries like "can A reach B" are answered; needs a
      cluster: --state FILE, or --live (or --kubeconfig/--context) for the kubeconfig's cluster).
      The canonical form of the request, name resolutions and warnings go to stderr.
      --config FILE: the bot's configuration file, so words resolve as the bot resolves them (its
      labelKeys, dns and clusterCidrs); default: $NETPOL_CONFIG if set, else the built-in defaults.
  netpol explain [CLUSTER] --from NS/POD|IP --to NS/POD|IP --port N|NAME [--protocol TCP|UDP|SCTP] [-n NS]
      Whether one connection is allowed, and which policy and rule decide it on each side.
      -n NS: --from/--to may be bare pod names of NS (live: the context's namespace by default).
  netpol show [CLUSTER] NAMESPACE|-n NAMESPACE
      What /netpol show answers in Slack: isolation per direction and every policy of the namespace
      in words, with who requested and approved netpol's (live: the context's namespace by default).
  netpol matrix [CLUSTER] [--port N] [--protocol TCP|UDP|SCTP] [--output table|json|jsonl]
      Reachability of every pod to every pod (default TCP/80). JSON: {"ns/pod": {"ns/pod": true|false}}.
      JSON lines, compact for big clusters: one line per source pod listing the pods it may reach
      (itself included): {"from":"ns/pod","to":["ns/pod", ...]}. Both are written row by row.
  netpol lab matrix --state FILE [--port N] [--protocol TCP|UDP] [--output table|json]
      The same matrix measured on real packets (root; Linux): one network namespace per node and per
      pod on this machine, the Kubernetes API stand-in and one real eBPF agent per node; every pair
      probed, everything removed afterwards (also on Ctrl-C). JSON as netpol matrix prints it.
  netpol lab up --state FILE | netpol lab down
      Keep such a lab running to try by hand (ip netns exec <pod-netns> curl ...), then remove it.
      The lab is a developer tool: it runs src/devtools/lab/ from the netpol checkout this CLI
      belongs to (found by the package.json above the CLI's own file; dist/ when the CLI is built).
  netpol status [--redis URL] [--prefix PREFIX] [--cluster NAME]... [--output text|json]
      What /netpol status answers: each cluster's snapshot, workers and node agents (in sync or not,
      since when, drops per minute), queue depths and Redis, read from the bot's Redis (--redis,
      else $REDIS_URL, else redis://127.0.0.1:6379; --prefix, else $NETPOL_PREFIX, else netpol).
      Exit status 3 when something does not report (Redis, a cluster's worker, a node agent).
  netpol graph --flows FILE [--state FILE] [-n NAMESPACE] [-o FILE] [--format png|svg|dot]
      What /netpol graph posts in Slack: a picture of the observed flows (--flows: an observed-flows
      JSON file), workloads as nodes in a box per namespace, outside addresses apart, allowed flows in
      green and blocked ones in red. -n: only the flows to and from NAMESPACE; --state adds the
      workloads that had no flows. The format follows -o's extension (.png, .svg, .dot), else png;
      without -o, svg and dot go to stdout (png needs -o).
  netpol suggest NAMESPACE --flows FILE [CLUSTER] [--config FILE] [--all] [--output yaml|json]
      What /netpol suggest offers: the least-privilege policies that allow the flows seen to and
      from NAMESPACE (--flows: an observed-flows JSON file), planned like typed requests. Flows seen
      blocked are left out unless --all; the flows, the requests and warnings go to stderr.
  netpol help [topic]
      The request language (topics: allow, deny, query, selectors, ports, keywords).

CLUSTER: --state FILE, a file as printed by
    kubectl get namespaces,pods,networkpolicies -A -o yaml   (or -o json, read fastest)
  else the live cluster of the kubeconfig, as kubectl reads it (read-only: list namespaces, pods,
  networkpolicies, services and workloads): --kubeconfig FILE, else $KUBECONFIG, else ~/.kube/config;
  --context NAME, else the current context; --request-timeout 60s (0: none). Which one was read is
  said on stderr.
Exit status: 0 success, 2 bad input (one line on stderr), 1 internal error.
`;

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case 'parse':
        return await (await import('./parse-command')).parseCommand(rest, io);
      case 'explain':
        return await (await import('./explain-command')).explainCommand(rest, io);
      case 'lab':
        return await (await import('./lab-command')).labCommand(rest, io);
      case 'show':
        return await (await import('./show-command')).showCommand(rest, io);
      case 'status':
        return await (await import('./status-command')).statusCommand(rest, io);
      case 'matrix':
        return await (await import('./matrix-command')).matrixCommand(rest, io);
      case 'graph':
        return await (await import('./graph-command')).graphCommand(rest, io);
      case 'suggest':
        return await (await import('./suggest-command')).suggestCommand(rest, io);
      case 'help':
        io.stdout(`${(await import('../core/request/help')).helpText(rest[0])}\n`);
        return 0;
      case undefined:
      case '-h':
      case '--help':
        io.stdout(USAGE);
        return 0;
      default:
        throw new NetpolError('E_USAGE', `unknown command "${command}"`, {
          hint: 'commands: parse, explain, show, matrix, graph, suggest, status, lab, help',
        });
    }
  } catch (error) {
    if (isNetpolError(error)) {
      io.stderr(`netpol: ${error.toLine()}\n`);
      return 2;
    }
    io.stderr(
      `netpol: internal error (please report it): ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}

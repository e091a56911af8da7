#!/usr/bin/env node
/**
 * The process edge of the node agent: the only place that reads the environment (through
 * loadAgentConfig, which reports every problem at once), builds the logger and runs the agent
 * until SIGTERM/SIGINT (platform/lifecycle.ts). Stopping leaves the pinned maps and the attached
 * programs enforcing; the next agent adopts them.
 *
 *   NODE_NAME=node-1 NETPOL_CLUSTER=prod NETPOL_NODE_ADDRESSES=10.0.0.5 node dist/src/agent/main.js
 */
import { loadAgentConfig } from '../platform/config/agent-config';
import { runProcess } from '../platform/lifecycle';
import { createLogger } from '../platform/logger';
import { startAgent } from './run-agent';

export function main(): Promise<void> {
  return runProcess({
    name: 'netpol-agent',
    loadConfig: () => loadAgentConfig(process.env),
    createLog: (config) => createLogger({ service: 'netpol-agent', level: config.logLevel }),
    start: (config, log) => startAgent(config, { log }),
  });
}

if (require.main === module) void main();

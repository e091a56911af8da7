#!/usr/bin/env node
/**
 * The process edge of a cluster's policy worker: the only place that reads the environment (through
 * loadWorkerConfig, which reports every problem at once), builds the logger (platform/logger.ts),
 * starts the worker and stops it on SIGTERM/SIGINT (platform/lifecycle.ts). A second signal during
 * shutdown exits at once; jobs in progress then stall and are re-run by another worker (server-side
 * apply makes that safe).
 *
 *   NETPOL_CLUSTER=prod REDIS_URL=redis://... node dist/src/workers/main.js [--cluster prod]
 */
import { loadWorkerConfig } from '../platform/config/load-config';
import { runProcess } from '../platform/lifecycle';
import { createLogger } from '../platform/logger';
import { startPolicyWorker } from './run-worker';

export function main(): Promise<void> {
  return runProcess({
    name: 'netpol-worker',
    loadConfig: () => loadWorkerConfig(process.env, process.argv.slice(2)),
    createLog: (config) => createLogger({ service: 'netpol-worker', level: config.logLevel }),
    start: (config, log) => startPolicyWorker(config, { log }),
  });
}

if (require.main === module) void main();

#!/usr/bin/env bash
# The main job: the reference scenario, first with the netpol CLI on examples/, then through the whole
# control plane (bot, worker, Redis, Slack and Kubernetes API stand-ins). Installs what it
# needs, builds, then walks through: everything flows -> default-deny in backend cuts frontend ->
# "allow frontend nginx to backend" produces the policy -> with it applied, frontend gets through.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-deps.sh
ensure_all
npm run --silent build

netpol() { node dist/cli/netpol.js "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. The reference cluster: nginx in frontend and in backend, no policies; everything flows"
netpol matrix --state examples/reference-cluster.yaml --port 80

step "2. A default-deny-ingress policy in backend: frontend now times out"
netpol parse "deny ingress in backend" --state examples/reference-cluster.yaml > "$work/deny.yaml"
cat "$work/deny.yaml"
cat examples/reference-cluster.yaml <(echo '---') "$work/deny.yaml" > "$work/denied.yaml"
netpol matrix --state "$work/denied.yaml" --port 80
netpol explain --state "$work/denied.yaml" --from frontend/nginx-7c5ddbdf54-2xkqp --to backend/nginx-6d4cf56db6-8p9wz --port http

step "3. /netpol allow frontend nginx to backend"
netpol parse "allow frontend nginx to backend" --state "$work/denied.yaml" > "$work/allow.yaml"
cat "$work/allow.yaml"

step "4. With it applied, frontend reaches backend again, and only frontend's nginx does"
cat "$work/denied.yaml" <(echo '---') "$work/allow.yaml" > "$work/allowed.yaml"
netpol matrix --state "$work/allowed.yaml" --port 80
netpol explain --state "$work/allowed.yaml" --from frontend/nginx-7c5ddbdf54-2xkqp --to backend/nginx-6d4cf56db6-8p9wz --port http
netpol parse "who can reach backend/nginx" --state "$work/allowed.yaml"

step "5. The same scenario through the whole control plane: Slack -> bot -> approval -> worker -> Kubernetes API"
# A real redis-server, the real bot (Bolt's HTTP receiver, driven with signed requests) and a real
# worker, against the Slack Web API and Kubernetes API stand-ins on loopback.
node dist/src/devtools/reference-scenario-demo.js

#!/usr/bin/env bash
# The main job: the reference scenario, first with the netpol CLI on examples/, then through the whole
# control plane (bot, worker, Redis, Slack and Kubernetes API stand-ins). Installs what it
# needs, builds, then walks through: everything flows -> default-deny in backend cuts frontend ->
# "allow frontend nginx to backend" produces the policy -> with it applied, frontend gets through.
# As root, step 5 also plays it on real packets (a lab pod pair, the real agent, curl); without root
# it says so in one line and goes on.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-deps.sh
ensure_all
npm run --silent build
# The real-packet part of step 5 needs root, bpffs and the eBPF objects (make is a no-op when built).
if [ "$(id -u)" -eq 0 ]; then
  ensure_bpffs || true
  npm run --silent build:bpf >/dev/null || echo "netpol: building bpf/ failed; step 5 will skip real packets" >&2
fi

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

step "5. The same scenario through the whole control plane: Slack -> bot -> approval -> worker -> Kubernetes API, and on real packets"
# A real redis-server, the real bot (Bolt's HTTP receiver, driven with signed requests) and a real
# worker, against the Slack Web API and Kubernetes API stand-ins on loopback; as root, a lab whose
# agent watches that same stand-in: curl 200, default-deny -> timeout and drops, approval -> 200.
node dist/src/devtools/reference-scenario-demo.js

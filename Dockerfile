# netpol: one image for the Slack bot, the per-cluster workers and the node agent.
#
#   docker build -t netpol .
#   docker run --env-file .env -p 3000:3000 netpol                                   # the bot (default)
#   docker run -e REDIS_URL=... -v ~/.kube/config:/kube/config:ro -e KUBECONFIG=/kube/config \
#     netpol node dist/src/workers/main.js --cluster prod                           # a cluster's worker
#   the node agent runs from helm/netpol (agent.enabled): root with BPF and NET_ADMIN only
#
# Keep the base on Node 20's bundled npm (10.x): it accepts package-lock.json as committed.

# ---- bpf: the eBPF object and the libbpf loader helper (Debian 12's clang and libbpf) -----------
FROM debian:bookworm-slim AS bpf
RUN apt-get update \
  && apt-get install -y --no-install-recommends clang llvm libbpf-dev libc6-dev make \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /
COPY bpf ./bpf
# CC=clang: one compiler for both (no gcc needed).
RUN make -C bpf clean && make -C bpf CC=clang

# ---- build: every dependency, then tsc ---------------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
# tsconfig.build.json compiles src/ alone: nothing under src/ imports test/ or bench/ (the layer rules
# in .dependency-cruiser.js fail CI otherwise).
COPY src ./src
# npm run build also bundles the CLI (dist/cli/netpol.js, esbuild); the image does not ship it.
COPY scripts/build-cli.mjs ./scripts/
# src/devtools (the stand-ins and the demo) is for developers' checkouts, not for clusters.
RUN npm run build && rm -rf dist/src/devtools

# ---- runtime: production dependencies, the compiled src/ and the dataplane -------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
# The agent's loader helper links libbpf1; the agent finds host veths with `ip` (iproute2); the bot's
# flow graph PNG (/netpol graph, resvg) draws its names with the system's fonts (fonts-dejavu-core).
RUN apt-get update \
  && apt-get install -y --no-install-recommends libbpf1 iproute2 fonts-dejavu-core \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
# Where BpfDataplane looks by default (dist/src/adapters/bpf/../../../bpf/build).
COPY --from=bpf /bpf/build/netpol-loader /bpf/build/netpol.bpf.o ./bpf/build/
# The image's `node` user, by number so Kubernetes' runAsNonRoot can verify it (the agent's
# DaemonSet runs as uid 0: added capabilities reach uid 0 only). Nothing is written to the
# filesystem at run time: a read-only root filesystem works.
USER 1000:1000
# The bot's HTTP receiver (PORT, /slack/events); the workers listen on nothing; the agent on
# NETPOL_AGENT_HEALTH_PORT (9876).
EXPOSE 3000
# Both processes stop cleanly on SIGTERM.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/bot/main.js"]

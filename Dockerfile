# netpol: one image for the Slack bot and the per-cluster workers.
#
#   docker build -t netpol .
#   docker run --env-file .env -p 3000:3000 netpol                                   # the bot (default)
#   docker run -e REDIS_URL=... -v ~/.kube/config:/kube/config:ro -e KUBECONFIG=/kube/config \
#     netpol node dist/src/workers/main.js --cluster prod                           # a cluster's worker
#
# Keep the base on Node 20's bundled npm (10.x): it accepts package-lock.json as committed.

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

# ---- runtime: production dependencies and the compiled src/ only -------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
# The image's `node` user, by number so Kubernetes' runAsNonRoot can verify it. Nothing is written
# to the filesystem at run time: a read-only root filesystem works.
USER 1000:1000
# The bot's HTTP receiver (PORT, /slack/events); the workers listen on nothing.
EXPOSE 3000
# Both processes stop cleanly on SIGTERM.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/bot/main.js"]

# syntax=docker/dockerfile:1.7
# Portico's image: the compiled build (`npm run build` → dist/) run by plain `node`, production
# dependencies only, as the unprivileged `node` user.
#
#   docker build -t portico .
#   docker run --rm -p 4000:4000 -e BFF_HOST=0.0.0.0 -e USERS_URL=… portico
#
# Compiled, an idle gateway runs in about 64 MiB less RSS than under tsx, and starts without
# compiling (docs/operations.md, Docker). Config files (portico.config.ts, bffs/*/bff.config.ts,
# schemas/sources.ts) stay TypeScript: dist/ loads them through tsx's scoped `tsImport` at
# start-up and on every reload, and the helpers they import (src/config/defineConfig.ts,
# src/plugins/authz/policyDirectives.ts, …) come from src/, which ships for them alone.

# Inside package.json `engines` (^20.19.0 || ^22.13.0 || ^24.0.0): the dev tooling and opossum set that range.
ARG NODE_VERSION=20.19.5

# ── 1. build: every dependency (tsc is a dev dependency), src/ compiled to dist/ ───────────────
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/build.ts
COPY src ./src
RUN npm run build

# ── 2. dependencies: resolved from the lockfile, dev dependencies left out ────────────────────
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ── 3. runtime: the build, production dependencies and the config, nothing else ────────────────
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    BFF_HOST=0.0.0.0 \
    LOG_LEVEL=info \
    # tsx keeps the config files it compiles here; /tmp is the one writable path (an emptyDir in Kubernetes).
    TMPDIR=/tmp
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json tsconfig.json ./
COPY --chown=root:root src ./src
COPY --chown=root:root schemas ./schemas
COPY --chown=root:root bffs ./bffs
COPY --chown=root:root subgraphs ./subgraphs
COPY --chown=root:root deploy/portico.config.ts /etc/portico/portico.config.ts
# Files belong to root and are read-only to the process: a compromised gateway cannot rewrite
# its own code or config. The official image's `node` user (uid 1000) runs it.
USER node
EXPOSE 4000 4001 4002 9400
# `node` is PID 1 and handles SIGTERM itself (drain, then exit 0); no init wrapper needed.
ENTRYPOINT ["node", "dist/main.js"]
CMD ["start", "--config", "/etc/portico/portico.config.ts"]

# syntax=docker/dockerfile:1.7
# Portico's image: production dependencies only, run as the unprivileged `node` user.
#
#   docker build -t portico .
#   docker run --rm -p 4000:4000 -e BFF_HOST=0.0.0.0 -e USERS_URL=… portico
#
# Config files (portico.config.ts, bffs/*/bff.config.ts, schemas/sources.ts) are TypeScript read
# at start-up and on every reload. The image runs the sources through tsx (a production
# dependency), so it needs no build stage; `npm run build` gives a compiled dist/ that loads them
# too, in less memory (docs/operations.md, Docker).

# Inside package.json `engines` (^20.19.0 || ^22.13.0 || ^24.0.0): the dev tooling and opossum set that range.
ARG NODE_VERSION=20.19.5

# ── 1. dependencies: resolved from the lockfile, dev dependencies left out ────────────────────
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ── 2. runtime: the sources, the config, nothing else ─────────────────────────────────────────
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    BFF_HOST=0.0.0.0 \
    LOG_LEVEL=info \
    # tsx keeps compiled files here; /tmp is the one writable path (an emptyDir in Kubernetes).
    TMPDIR=/tmp
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json tsconfig.json ./
COPY --chown=root:root bin ./bin
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
ENTRYPOINT ["node", "--import", "tsx", "src/main.ts"]
CMD ["start", "--config", "/etc/portico/portico.config.ts"]

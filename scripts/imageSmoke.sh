#!/usr/bin/env bash
# Replays the Dockerfile's three stages without Docker (this CI has no Docker daemon) and runs the
# image's command on the result, as the image's user would:
#
#   bash scripts/imageSmoke.sh
#
# 1. build:   src/ compiled by `npm run build` beside every dependency (the checkout's node_modules
#             stands in for `npm ci`);
# 2. deps:    production dependencies only (the checkout's node_modules pruned with
#             `npm prune --omit=dev`, which is what `npm ci --omit=dev` installs);
# 3. runtime: dist/, those dependencies and the files the Dockerfile copies, then
#             `node dist/main.js start --config <deploy/portico.config.ts>` as an unprivileged user
#             with the demo products service behind it, asked /healthz and a public query.
# Exits non-zero on the first step that fails. Leaves nothing running; prints the work folder.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/portico-image-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

echo "image smoke: stage 1 (build) in $work/build"
mkdir -p "$work/build/scripts"
cp "$repo"/package.json "$repo"/package-lock.json "$repo"/tsconfig.json "$repo"/tsconfig.build.json "$work/build/"
cp "$repo/scripts/build.ts" "$work/build/scripts/"
cp -a "$repo/src" "$work/build/src"
ln -s "$(readlink -f "$repo/node_modules")" "$work/build/node_modules"
(cd "$work/build" && npm run --silent build)
test -f "$work/build/dist/main.js"

echo "image smoke: stage 2 (production dependencies) in $work/app"
mkdir -p "$work/app"
cp "$repo"/package.json "$repo"/package-lock.json "$work/app/"
cp -a "$(readlink -f "$repo/node_modules")" "$work/app/node_modules"
(cd "$work/app" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
for dev in typescript vitest eslint; do
  if [ -e "$work/app/node_modules/$dev" ]; then echo "image smoke: dev dependency $dev left in the image" >&2; exit 1; fi
done

echo "image smoke: stage 3 (runtime)"
cp -a "$work/build/dist" "$work/app/dist"
cp "$repo/tsconfig.json" "$work/app/"
for folder in src schemas bffs subgraphs; do cp -a "$repo/$folder" "$work/app/$folder"; done
mkdir -p "$work/etc" "$work/tmp"
sed "s|'/app/|'$work/app/|g" "$repo/deploy/portico.config.ts" > "$work/etc/portico.config.ts"
chmod -R a+rX "$work" && chmod 1777 "$work/tmp"

# The demo products service (the web BFF's public fields need only it).
products_port=$(free_port)
(cd "$repo" && exec node --import tsx subgraphs/run.ts products --port "$products_port") > "$work/products.log" 2>&1 &
pids+=($!)
web=$(free_port); mobile=$(free_port); partner=$(free_port); admin=$(free_port)
(cd "$work/app" && exec setpriv --reuid=nobody --regid=nogroup --clear-groups env -i PATH="$PATH" HOME=/tmp TMPDIR="$work/tmp" \
  NODE_ENV=production LOG_LEVEL=info BFF_HOST=127.0.0.1 WEB_PORT="$web" MOBILE_PORT="$mobile" PARTNER_PORT="$partner" ADMIN_PORT="$admin" \
  PORTICO_ADMIN_TOKEN="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" PORTICO_IDENTITY_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  USERS_URL=http://127.0.0.1:9/graphql ORDERS_URL=http://127.0.0.1:9/graphql INVENTORY_URL=http://127.0.0.1:9 \
  PRODUCTS_URL="http://127.0.0.1:$products_port" IDP_URL=http://127.0.0.1:9 \
  node dist/main.js start --config "$work/etc/portico.config.ts") > "$work/portico.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 240); do
  if curl -fsS "http://127.0.0.1:$web/healthz" >/dev/null 2>&1 && grep -q '^READY products' "$work/products.log"; then break; fi
  sleep 1
done
echo "image smoke: /healthz $(curl -sS -o /dev/null -w "%{http_code}" "http://127.0.0.1:$web/healthz")"
answer=$(curl -sS -X POST "http://127.0.0.1:$web/graphql" -H 'content-type: application/json' -d '{"query":"{ products(page: 1, pageSize: 2) { items { id name } } }"}')
echo "image smoke: $answer"
echo "$answer" | grep -q '"items":\[{"id":"p1"' || { echo "image smoke: unexpected answer; the log:" >&2; tail -20 "$work/portico.log" >&2; exit 1; }
ps -o user=,args= -p "${pids[1]}" | sed 's/^/image smoke: running as /' || true
echo "image smoke: ok ($work)"

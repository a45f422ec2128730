#!/usr/bin/env bash
# Entry point of `npm start` and `npm test` on any machine: makes sure the npm
# packages, Node 22 and the generated Prisma client are in place, then hands over
# to scripts/<command>.ts under Node 22.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1;35m[livehouse]\033[0m %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

command -v npm >/dev/null || die "npm is missing. Install Node.js 20 or newer (Debian: apt-get install nodejs npm)."

# npm packages: reinstall whenever package-lock.json changed since the last install.
lock_hash=$(sha256sum package-lock.json | cut -c1-64)
if [ ! -f node_modules/.livehouse-lock ] || [ "$(cat node_modules/.livehouse-lock)" != "$lock_hash" ]; then
  say "installing npm packages…"
  # `npm ci` would refuse: this registry lacks the lock's macOS/Windows optional packages.
  npm install --no-save --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.livehouse-lock
fi

# Node 22: the `node` npm package ships a Node 22 binary; it serves machines whose
# own Node is older (matrix-appservice-bridge and matrix-js-sdk need 22).
NODE=node_modules/.bin/node
[ -x "$NODE" ] || NODE=$(command -v node)
"$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)' \
  || die "Node 22 or newer is needed; $("$NODE" -v) found. Run 'npm ci' again, or install Node 22."
export PATH="$PWD/node_modules/.bin:$PATH"

# Prisma client: regenerated when the schema changes. `prisma generate` only checks
# that a schema engine path exists (it does not run it), and the engine cannot be
# downloaded here, so point it at any file.
schema_hash=$(cat prisma/schema.prisma package-lock.json | sha256sum | cut -c1-64)
if [ ! -f lib/generated/prisma/.schema-hash ] || [ "$(cat lib/generated/prisma/.schema-hash)" != "$schema_hash" ]; then
  say "generating the Prisma client…"
  PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$PWD/package.json}" \
    prisma generate >/dev/null || die "prisma generate failed"
  echo "$schema_hash" > lib/generated/prisma/.schema-hash
fi

cmd=${1:?usage: scripts/bootstrap.sh <start|test|…> [args]}
shift
export NEXT_TELEMETRY_DISABLED=1
exec "$NODE" --import tsx "scripts/$cmd.ts" "$@"

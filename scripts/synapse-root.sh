#!/usr/bin/env bash
# Builds a Debian sid root with matrix-synapse in it, once per machine.
# Debian bookworm has no Synapse package; sid does. The root is cached outside
# the repository (SYNAPSE_ROOT) so every clone and CI run reuses it.
set -euo pipefail
ROOT="${1:?usage: synapse-root.sh DIR}"
exec bash "$(dirname "$0")/sid-root.sh" "$ROOT" "Synapse" "set MATRIX_HOMESERVER_URL to your homeserver" \
  "python3 -c 'import synapse; print(synapse.__version__)'" \
  matrix-synapse

#!/usr/bin/env bash
# Builds a Debian sid root with matrix-synapse in it, once per machine.
# Debian bookworm has no Synapse package; sid does. The root is cached outside
# the repository (SYNAPSE_ROOT) so every clone and CI run reuses it.
set -euo pipefail
ROOT="${1:?usage: synapse-root.sh DIR}"
if [ -f "$ROOT/.livehouse-ready" ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  echo "Synapse is needed: run as root on Debian (we build a sid root with debootstrap), or set MATRIX_HOMESERVER_URL to your homeserver." >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
fi
WORK="$ROOT.partial"
if mountpoint -q "$WORK/proc" 2>/dev/null; then umount "$WORK/proc"; fi
rm -rf "$WORK"
mkdir -p "$(dirname "$ROOT")"
echo "[livehouse] building a Debian sid root with matrix-synapse in $ROOT (one time, ~2 min)…" >&2
debootstrap --variant=minbase sid "$WORK" >"$WORK.log" 2>&1 || { tail -20 "$WORK.log" >&2; exit 1; }
mkdir -p "$WORK/proc"
mount -t proc proc "$WORK/proc"
trap 'umount "$WORK/proc" 2>/dev/null || true' EXIT
chroot "$WORK" apt-get install -y -qq --no-install-recommends matrix-synapse >>"$WORK.log" 2>&1 || { tail -20 "$WORK.log" >&2; exit 1; }
chroot "$WORK" python3 -c 'import synapse; print(synapse.__version__)' > "$WORK/.livehouse-ready"
umount "$WORK/proc"
trap - EXIT
rm -rf "$ROOT"
mv "$WORK" "$ROOT"
rm -f "$WORK.log"
echo "[livehouse] Synapse $(cat "$ROOT/.livehouse-ready") ready in $ROOT" >&2

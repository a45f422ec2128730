#!/usr/bin/env bash
# Builds a Debian sid root with some packages in it, once per machine, for the
# services Debian stable lacks (Synapse: synapse-root.sh; Ceph radosgw, the
# tests' S3 server: ceph-root.sh). The root is cached outside the repository so
# every clone and CI run reuses it; a marker file holding the version says it is
# complete.
#   sid-root.sh DIR NAME HINT VERSION_COMMAND PACKAGE...
# NAME names it in messages, HINT says what to do instead when this cannot run,
# VERSION_COMMAND runs inside the root and prints the version for the marker.
set -euo pipefail
ROOT="${1:?usage: sid-root.sh DIR NAME HINT VERSION_COMMAND PACKAGE...}"
NAME="$2"
HINT="$3"
VERSION_COMMAND="$4"
shift 4
if [ -f "$ROOT/.livehouse-ready" ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  echo "$NAME is needed: run as root on Debian (we build a sid root with debootstrap), or $HINT." >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
fi
WORK="$ROOT.partial"
unmount_all() {
  for m in dev/pts dev sys proc; do
    if mountpoint -q "$WORK/$m" 2>/dev/null; then umount "$WORK/$m" 2>/dev/null || umount -l "$WORK/$m"; fi
  done
}
unmount_all
rm -rf "$WORK"
mkdir -p "$(dirname "$ROOT")"
echo "[livehouse] building a Debian sid root with $NAME in $ROOT (one time, ~2 min)…" >&2
# The package goes in with apt afterwards: debootstrap's --include fails on virtual dependencies.
debootstrap --variant=minbase sid "$WORK" >"$WORK.log" 2>&1 || { tail -20 "$WORK.log" >&2; exit 1; }
trap unmount_all EXIT
for m in proc sys dev dev/pts; do mkdir -p "$WORK/$m"; done
mount -t proc proc "$WORK/proc"
mount -t sysfs sysfs "$WORK/sys"
mount --bind /dev "$WORK/dev"
mount --bind /dev/pts "$WORK/dev/pts"
# No init system runs in the root: refuse every service start (ceph-mon's postinst
# fails otherwise). A sid Release file can expire while the root is cached.
printf '#!/bin/sh\nexit 101\n' > "$WORK/usr/sbin/policy-rc.d"
chmod 755 "$WORK/usr/sbin/policy-rc.d"
echo 'Acquire::Check-Valid-Until "false";' > "$WORK/etc/apt/apt.conf.d/99livehouse"
chroot "$WORK" apt-get install -y -qq --no-install-recommends "$@" >>"$WORK.log" 2>&1 || { tail -20 "$WORK.log" >&2; exit 1; }
chroot "$WORK" apt-get clean
chroot "$WORK" sh -c "$VERSION_COMMAND" > "$WORK/.livehouse-ready.tmp"
unmount_all
trap - EXIT
mv "$WORK/.livehouse-ready.tmp" "$WORK/.livehouse-ready"
rm -rf "$ROOT"
mv "$WORK" "$ROOT"
rm -f "$WORK.log"
echo "[livehouse] $NAME $(cat "$ROOT/.livehouse-ready") ready in $ROOT" >&2

#!/usr/bin/env bash
# The Debian sid root of the tests' S3 server: Ceph's radosgw, monitor and OSD
# (scripts/s3Server.ts). No S3 server that works here is packaged for Debian
# stable and the npm registry only has mocks; Ceph 20.2 from sid passes what the
# media store needs (Range, multipart, bucket policy, CORS, quotas).
set -euo pipefail
ROOT="${1:?usage: ceph-root.sh DIR}"
exec bash "$(dirname "$0")/sid-root.sh" "$ROOT" "Ceph radosgw" "point the tests at a server of yours" \
  "radosgw --version | sed -n 's/^ceph version \([^ ]*\).*/\1/p'" \
  radosgw ceph-mon ceph-osd

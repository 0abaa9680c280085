#!/usr/bin/env bash
# Builds Kigen's container image with no image pulled from a registry: the
# static binary is built here, then put on an empty base (deploy/Containerfile).
#   deploy/build-image.sh [VERSION]    (default: git describe, or "devel")
# Set CONTAINER=docker to use docker instead of podman; set NO_IMAGE=1 to
# stop after the build context, e.g. where no container engine runs
# (deploy/image_test.go does); CONTEXT_DIR puts the context elsewhere than
# deploy/build/context.
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:-$(git describe --tags --always 2>/dev/null || echo devel)}
commit=$(git rev-parse HEAD 2>/dev/null || true)
ctx=${CONTEXT_DIR:-deploy/build/context}
rm -rf "$ctx"
mkdir -p "$ctx/data"

# Static (no cgo: modernc.org/sqlite is pure Go), time zones embedded (the
# schedule's CRON_TZ=Asia/Tokyo on a base without /usr/share/zoneinfo),
# reproducible paths, the version and commit linked in (the build context
# has no .git to stamp them from).
CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -tags timetzdata \
  -ldflags "-s -w -X kigen/internal/buildinfo.version=$version -X kigen/internal/buildinfo.commit=$commit" \
  -o "$ctx/kigen" ./cmd/kigen
cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
echo "build context: $ctx ($("$ctx/kigen" version))"

if [ -n "${NO_IMAGE:-}" ]; then exit 0; fi
engine=${CONTAINER:-podman}
"$engine" build --pull=never -f deploy/Containerfile -t "kigen:$version" -t kigen:latest "$ctx"
echo "image: kigen:$version"

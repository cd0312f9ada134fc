#!/usr/bin/env bash
# Reservoir on a local kind cluster, end to end:
#   1. create the kind cluster "reservoir" (kept if it exists),
#   2. build the worker and operator images into the local Docker daemon (Jib, on eclipse-temurin:25-jre),
#   3. load them into the cluster's nodes (kind load docker-image),
#   4. helm install the chart with its try-out Redis,
#   5. apply a WorkerPool and wait until its workers are ready,
#   6. submit tasks with bin/reservoir through a port-forward to Redis, print the pool's status.
# Needs: docker (running), kind, helm, kubectl, Java 25. Re-running it is safe (each step is idempotent).
# Remove everything with: kind delete cluster --name reservoir
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER="${RESERVOIR_KIND_CLUSTER:-reservoir}"
NAMESPACE=reservoir-system
POOL_NAMESPACE=reservoir-demo
POOL=quickstart
VERSION=0.1.0-SNAPSHOT
LOCAL_REDIS_PORT="${RESERVOIR_LOCAL_REDIS_PORT:-16379}"
TASKS="${RESERVOIR_QUICKSTART_TASKS:-200}"

# helm and kubectl installed by .ci/install-tools.sh are used when there are none on PATH.
if [ -d "$ROOT/tools/bin" ]; then
  PATH="$PATH:$ROOT/tools/bin"
fi

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }

# ---- 0. everything it needs, checked before anything is changed ----
missing=()
command -v docker >/dev/null 2>&1 || missing+=("docker (https://docs.docker.com/engine/install/)")
command -v kind >/dev/null 2>&1 || missing+=("kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)")
command -v helm >/dev/null 2>&1 || missing+=("helm (bash .ci/install-tools.sh puts one in tools/bin)")
command -v kubectl >/dev/null 2>&1 || missing+=("kubectl (bash .ci/install-tools.sh puts one in tools/bin)")
if [ "${#missing[@]}" -gt 0 ]; then
  printf 'quickstart: missing tools:\n' >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi
docker info >/dev/null 2>&1 || die "docker is installed but its daemon does not answer ('docker info' fails): start Docker first"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[ -x "$JAVA_HOME/bin/java" ] || die "Java 25 not found at JAVA_HOME=$JAVA_HOME: install a JDK 25 and set JAVA_HOME"
export JAVA_HOME

# ---- 1. cluster ----
step "kind cluster '$CLUSTER'"
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  echo "exists, reusing it"
else
  kind create cluster --name "$CLUSTER" --config "$ROOT/deploy/kind/kind-config.yaml" --wait 120s
fi
kubectl config use-context "kind-$CLUSTER" >/dev/null

# ---- 2. images ----
step "building reservoir-worker:$VERSION and reservoir-operator:$VERSION into the local Docker daemon (Jib)"
(cd "$ROOT" && ./mvnw -B -q -Pdocker -DskipTests -pl images/worker,images/operator -am package)

# ---- 3. images into the nodes ----
step "loading the images into kind"
kind load docker-image --name "$CLUSTER" "reservoir-worker:$VERSION" "reservoir-operator:$VERSION"

# ---- 4. operator + try-out Redis ----
step "helm upgrade --install reservoir (namespace $NAMESPACE, with the try-out Redis, watching $POOL_NAMESPACE)"
# The operator's Role goes into the pool's namespace, so that namespace exists first.
kubectl create namespace "$POOL_NAMESPACE" --dry-run=client -o yaml | kubectl apply -f -
helm upgrade --install reservoir "$ROOT/charts/reservoir" \
  --namespace "$NAMESPACE" --create-namespace \
  --set redis.enabled=true \
  --set "operator.watchNamespaces={$POOL_NAMESPACE}" \
  --set operator.replicas=1 \
  --wait --timeout 5m

# ---- 5. a pool ----
step "WorkerPool $POOL_NAMESPACE/$POOL"
kubectl apply -f "$ROOT/deploy/kind/quickstart-pool.yaml"
if ! kubectl -n "$POOL_NAMESPACE" wait "workerpool/$POOL" --for=condition=Available --timeout=5m; then
  kubectl -n "$POOL_NAMESPACE" describe "workerpool/$POOL" >&2 || true
  kubectl -n "$POOL_NAMESPACE" get pods -o wide >&2 || true
  kubectl -n "$NAMESPACE" logs deploy/reservoir-operator --tail=50 >&2 || true
  die "the pool did not become Available in 5 minutes (its conditions and events are above; docs/kubernetes.md, Troubleshooting)"
fi
kubectl -n "$POOL_NAMESPACE" get workerpool "$POOL" -o wide

# ---- 6. tasks through a port-forward to Redis ----
step "submitting $TASKS sha256 tasks through a port-forward to Redis (localhost:$LOCAL_REDIS_PORT)"
kubectl -n "$NAMESPACE" port-forward svc/reservoir-redis "$LOCAL_REDIS_PORT:6379" >/dev/null 2>&1 &
forward=$!
trap 'kill "$forward" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$LOCAL_REDIS_PORT") 2>/dev/null; then break; fi
  kill -0 "$forward" 2>/dev/null || die "kubectl port-forward to svc/reservoir-redis exited: is port $LOCAL_REDIS_PORT free? (set RESERVOIR_LOCAL_REDIS_PORT)"
  sleep 0.2
done
REDIS_URL="redis://127.0.0.1:$LOCAL_REDIS_PORT"
seq 1 "$TASKS" | sed 's/$/Kix1/' | "$ROOT/bin/reservoir" map sha256 --redis "$REDIS_URL" --pool "$POOL" -f - | tail -n 3

step "pool status"
"$ROOT/bin/reservoir" status --redis "$REDIS_URL" --pool "$POOL"
kubectl -n "$POOL_NAMESPACE" get workerpool "$POOL"

cat <<EOF

Done. Try next:
  kubectl -n $POOL_NAMESPACE scale workerpool/$POOL --replicas=4
  kubectl -n $POOL_NAMESPACE describe workerpool/$POOL
  kubectl -n $NAMESPACE port-forward svc/reservoir-redis $LOCAL_REDIS_PORT:6379 &
  bin/reservoir submit echo hello --redis $REDIS_URL --pool $POOL
Remove it all: kind delete cluster --name $CLUSTER
EOF

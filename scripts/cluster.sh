#!/usr/bin/env bash
# Run the service's processes on this machine from deploy/Procfile with honcho (docs/scale.md).
# Usage: scripts/cluster.sh [PROCESS ...]   (default: api, worker, redis and chroma)
#   e.g. the data machine: scripts/cluster.sh redis chroma
#        an API machine:   RAG_STORE__HOST=data1 RAG_QUEUE__BROKER_URL=redis://data1:6379/0 \
#                          API_REPLICAS=4 scripts/cluster.sh api
# Environment: CLUSTER_DIR (state; default ./cluster), API_REPLICAS (2), WORKERS (1), API_PORT
# (the first replica's port, 8080; the next ones count up), API_HOST (127.0.0.1), REDIS_PORT
# (6379), CHROMA_PORT (8001), REDIS_BIND/CHROMA_BIND (127.0.0.1: set the machine's address to
# serve other machines, behind a firewall), VENV (the virtualenv; default ./.venv), and any RAG_*
# setting.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CLUSTER_DIR="${CLUSTER_DIR:-$root/cluster}"
export REDIS_PORT="${REDIS_PORT:-6379}" CHROMA_PORT="${CHROMA_PORT:-8001}"
export REDIS_BIND="${REDIS_BIND:-127.0.0.1}" CHROMA_BIND="${CHROMA_BIND:-127.0.0.1}"
export API_HOST="${API_HOST:-127.0.0.1}"
export RAG_STORE__MODE=server
export RAG_STORE__HOST="${RAG_STORE__HOST:-127.0.0.1}"
export RAG_STORE__PORT="${RAG_STORE__PORT:-$CHROMA_PORT}"
export RAG_QUEUE__BROKER_URL="${RAG_QUEUE__BROKER_URL:-redis://127.0.0.1:$REDIS_PORT/0}"
export PATH="${VENV:-$root/.venv}/bin:$PATH"   # VENV: another virtualenv with the project
for tool in honcho rag; do
  command -v "$tool" >/dev/null || { echo "cluster: $tool is missing: run scripts/setup.sh queue" >&2; exit 2; }
done
mkdir -p "$CLUSTER_DIR/redis" "$CLUSTER_DIR/chroma"
exec honcho -f deploy/Procfile -d "$root" start -p "${API_PORT:-8080}" \
  -c "api=${API_REPLICAS:-2},worker=${WORKERS:-1}" "$@"

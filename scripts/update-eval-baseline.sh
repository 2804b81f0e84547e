#!/usr/bin/env bash
# Regenerate the committed sample-corpus eval baseline (eval/gold/baseline.json) after a change
# that legitimately moves the figures. Runs with the default settings (no RAG_* variables, no
# rag.toml), prints what changed against the old baseline; commit the new file with the change.
# Usage: scripts/update-eval-baseline.sh [CORPUS_DIR]   (default ../shared/corpus)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$(cd "${1:-${RAG_SHARED_DIR:-$root/../shared}/corpus}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for v in $(compgen -e | grep '^RAG_' || true); do unset "$v"; done
cd "$work"  # so no ./rag.toml is picked up
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$root/.venv/bin/rag" --data-dir "$work/data" eval \
  --corpus "$corpus" --qa "$root/eval/gold/sample_qa.jsonl" \
  --baseline "$root/eval/gold/baseline.json" --update-baseline

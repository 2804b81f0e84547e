#!/usr/bin/env bash
# Quick start: install, index a corpus (default ../shared/corpus) and serve the API and chat page
# on http://127.0.0.1:8000. Usage: scripts/run.sh [CORPUS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
if [ -z "${1:-}" ]; then
  # The sample corpus's own gold set gates every change to it (releases.policy defaults to
  # "gate" when a gold set is configured; docs/releases.md). Another corpus: set your own.
  export RAG_EVAL__GOLD="${RAG_EVAL__GOLD:-eval/gold/sample_qa.jsonl}"
  export RAG_EVAL__TOLERANCES="${RAG_EVAL__TOLERANCES:-eval/gold/sample_tolerances.toml}"
fi
exec .venv/bin/rag serve --corpus "${1:-../shared/corpus}"

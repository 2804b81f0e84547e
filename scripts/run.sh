#!/usr/bin/env bash
# Quick start: install, index a corpus (default ../shared/corpus) and serve the API and chat page
# on http://127.0.0.1:8000. Usage: scripts/run.sh [CORPUS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/rag serve --corpus "${1:-../shared/corpus}"

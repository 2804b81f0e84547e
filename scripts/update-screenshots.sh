#!/usr/bin/env bash
# Refresh the widget and admin-page screenshots the README links (docs/screenshots/). The test suite itself
# writes its screenshots to test-artifacts/ and never touches committed files.
set -euo pipefail
cd "$(dirname "$0")/.."
RAG_SCREENSHOTS="$PWD/docs/screenshots" scripts/test.sh tests/service/test_widget_browser.py \
  tests/service/test_admin_browser.py tests/service/test_pdf_viewer_browser.py \
  tests/service/test_table_answers.py tests/service/test_widget_shapes_browser.py \
  tests/service/test_widget_changes_browser.py \
  tests/sso/test_sign_in_browser.py "$@"

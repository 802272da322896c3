#!/usr/bin/env bash
# Runs the Python SDK's tests against a real Holdpoint started from this checkout.
# Needs: `npm ci` done at the repository root (the tests run the server with tsx), Redis at
# $REDIS_URL (default redis://127.0.0.1:6379), python3 >= 3.10. Creates python/.venv once
# and reinstalls only when pyproject.toml changes. Exits with pytest's status.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$here"

PYTHON="${PYTHON:-python3}"
"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 10):
    sys.exit(f"holdpoint needs Python >= 3.10, found {sys.version.split()[0]}")
PY

if [ ! -x "$root/node_modules/.bin/tsx" ]; then
  echo "run-tests.sh: run 'npm ci' in $root first (the tests start Holdpoint from source with tsx)" >&2
  exit 2
fi

# An unreachable index fails at once instead of after pip's five backed-off retries per
# package (minutes, on a machine that only reaches a local package mirror).
export PIP_RETRIES="${PIP_RETRIES:-1}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# HOLDPOINT_VENV: another venv location, e.g. one per Python version.
venv="${HOLDPOINT_VENV:-$here/.venv}"
pip="$venv/bin/pip"
stamp="$venv/.holdpoint-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"

install() {
  if "$pip" install -q -e ".[test]"; then
    return 0
  fi
  # langchain-core >= 1.6 and langgraph-sdk 0.4 require `langchain-protocol`, which some
  # package mirrors lack. Install the LangGraph stack without it; tests/conftest.py then
  # puts a types-only stand-in on the path (see tests/stubs/langchain_protocol).
  echo "run-tests.sh: full install failed; installing langgraph without langchain-protocol" >&2
  "$pip" install -q -e . pytest pytest-asyncio
  "$pip" install -q --no-deps langgraph langgraph-checkpoint langgraph-prebuilt langgraph-sdk langchain-core
  "$pip" install -q xxhash ormsgpack orjson 'websockets>=14,<17' jsonpatch langsmith packaging pyyaml \
    tenacity typing-extensions uuid-utils
}

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$PYTHON" -m venv "$venv"
  install
  echo "$want" >"$stamp"
fi

exec "$venv/bin/python" -m pytest -q "$@"

#!/usr/bin/env bash
# Runs the whole suite twice: on SQLite, then on PostgreSQL (127.0.0.1:5432, database `test`).
# Exits non-zero when any run fails or when a run collects no test at all.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PG_URL=${SHOUDI_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}

# Optional XForm engine for form tests (skipped loudly by the tests when Node is absent).
if [ -f tests/engine/package.json ] && command -v npm >/dev/null 2>&1; then
  if [ ! -d tests/engine/node_modules ] || [ tests/engine/package-lock.json -nt tests/engine/node_modules ]; then
    echo "== installing the ODK Web Forms engine (npm) for form tests"
    (cd tests/engine && npm ci --no-audit --no-fund --loglevel=error) || echo "!! npm install of the XForm engine failed; engine tests will be skipped"
  fi
fi

# Browser tests (tests/server/console/test_browser*.py) drive the system Chromium through Playwright
# (from PyPI, never `playwright install`). They fail, not skip, without it, so install what is missing:
# Debian `chromium` and `fonts-noto-cjk` (Chinese pages render with real glyphs in screenshots).
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if command -v fc-list >/dev/null 2>&1; then
  fc-list :lang=zh family 2>/dev/null | grep -qi "noto.*cjk" || need_apt+=(fonts-noto-cjk)
else
  dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${need_apt[*]} (apt) for the browser tests"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_apt[@]}"; } >/dev/null 2>&1 \
      || echo "!! apt-get install ${need_apt[*]} failed; the browser tests will fail"
  else
    echo "!! missing ${need_apt[*]} and not root: install them (apt-get install -y ${need_apt[*]}); the browser tests will fail"
  fi
fi
"$PY" -c "import playwright.sync_api" 2>/dev/null || {
  echo "== installing playwright (pip, the dev extra) for the browser tests"
  "$PY" -m pip install --quiet "playwright>=1.40" || echo "!! pip install playwright failed; the browser tests will fail"
}

status=0
run() {  # label, then env assignments
  local label=$1; shift
  echo "== pytest on $label"
  env "$@" "$PY" -m pytest -q -p no:cacheprovider "${PYTEST_ARGS[@]}"
  local rc=$?
  if [ $rc -eq 5 ]; then echo "!! no test ran on $label"; status=1
  elif [ $rc -ne 0 ]; then echo "!! pytest on $label failed (exit $rc)"; status=1; fi
}
PYTEST_ARGS=("$@")

run SQLite SHOUDI_TEST_DATABASE=sqlite

pg_up() { "$PY" - "$PG_URL" <<'PYEOF' >/dev/null 2>&1
import sys, psycopg
url = sys.argv[1].replace("postgresql+psycopg://", "postgresql://")
psycopg.connect(url, connect_timeout=3).close()
PYEOF
}
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "== PostgreSQL is down; starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do pg_up && break; sleep 1; done
  fi
fi
if pg_up; then
  run PostgreSQL SHOUDI_TEST_DATABASE=postgresql "SHOUDI_TEST_DATABASE_URL=$PG_URL"
else
  echo
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!! SKIPPED: the PostgreSQL run — no PostgreSQL server at $PG_URL and none could be started"
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
fi
exit $status

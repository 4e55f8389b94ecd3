#!/usr/bin/env bash
# Every check of the project, in order, stopping at the first failure:
# lint, format, types, the Python tests on SQLite and on PostgreSQL, the frontend lint and the
# browser tests. Run it from an environment where the package is installed with its test extras
# (`pip install -e ".[test]"`); it uses whatever `python` is first on PATH.
#
# Needs: PostgreSQL server binaries (apt-get install -y postgresql) unless
# JUPYTER_TRACKER_TEST_PG_URL names a server to use; Chromium at /usr/bin/chromium (or
# $CHROMIUM_PATH) for the browser tests.
#
# The last line printed sums the tests that ran: `tests: N passed, N failed, N skipped`; it is
# also written to $RUN_ALL_SUMMARY_FILE when that is set.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
REPORTS="$(mktemp -d "${TMPDIR:-/tmp}/run-all.XXXXXX")"
STEPS_TOTAL=7
STEP_NO=0
FAILED_STEP=""
START=$SECONDS

summary() {
    # Sum the JUnit XML reports written so far: pytest's and Playwright's.
    "$PYTHON" - "$REPORTS" <<'EOF'
import pathlib
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for report in sorted(pathlib.Path(sys.argv[1]).glob("*.xml")):
    try:
        root = ET.parse(report).getroot()
    except ET.ParseError:
        failed += 1
        continue
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            failed += 1
        elif "skipped" in tags:
            skipped += 1
        else:
            passed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
EOF
}

finish() {
    local rc=$?
    set +e
    echo
    if [[ -n "$FAILED_STEP" ]]; then
        echo "run-all: FAILED at $FAILED_STEP after $((SECONDS - START)) s"
    elif [[ $rc -ne 0 ]]; then
        echo "run-all: FAILED (exit $rc) after $((SECONDS - START)) s"
    else
        echo "run-all: all $STEPS_TOTAL steps passed in $((SECONDS - START)) s"
    fi
    local line
    line="$(summary)"
    echo "$line"
    if [[ -n "${RUN_ALL_SUMMARY_FILE:-}" ]]; then
        echo "$line" >"$RUN_ALL_SUMMARY_FILE"
    fi
    rm -rf "$REPORTS"
    exit "$rc"
}
trap finish EXIT

# step NAME FUNCTION: run FUNCTION with errexit in force, time it, stop everything if it fails.
step() {
    local name=$1 fn=$2 began=$SECONDS rc
    STEP_NO=$((STEP_NO + 1))
    printf '\n==> [%d/%d] %s  (%s)\n' "$STEP_NO" "$STEPS_TOTAL" "$name" "$(date +%H:%M:%S)"
    set +e
    (
        set -euo pipefail
        "$fn"
    )
    rc=$?
    set -e
    if [[ $rc -ne 0 ]]; then
        FAILED_STEP="step $STEP_NO/$STEPS_TOTAL, $name (exit $rc)"
        echo "--> FAILED: $name (exit $rc, $((SECONDS - began)) s)"
        exit "$rc"
    fi
    echo "--> ok: $name ($((SECONDS - began)) s)"
}

ruff_check() { "$PYTHON" -m ruff check .; }
ruff_format() { "$PYTHON" -m ruff format --check .; }
run_mypy() { "$PYTHON" -m mypy; }

run_pytest() { # run_pytest BACKEND
    local rc=0
    "$PYTHON" -m pytest --db="$1" --junitxml="$REPORTS/pytest-$1.xml" || rc=$?
    if [[ $rc -eq 5 ]]; then
        echo "pytest collected no tests" >&2
    fi
    return "$rc"
}
pytest_sqlite() { run_pytest sqlite; }
pytest_postgresql() {
    if ! "$PYTHON" tests/postgres_server.py >/dev/null; then
        echo "The PostgreSQL tests need a PostgreSQL installation: apt-get install -y postgresql" >&2
        return 1
    fi
    run_pytest postgresql
}

frontend_lint() {
    cd labextension-src
    jlpm install
    jlpm lint
}

ui_tests() {
    local chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
    if [[ ! -x "$chromium" ]]; then
        echo "The browser tests need Chromium at $chromium: apt-get install -y chromium" >&2
        return 1
    fi
    cd ui-tests
    jlpm install
    PLAYWRIGHT_JUNIT_OUTPUT_NAME="$REPORTS/playwright.xml" PLAYWRIGHT_HTML_OPEN=never \
        jlpm playwright test --reporter=list,html,junit
}

step "ruff check" ruff_check
step "ruff format --check" ruff_format
step "mypy" run_mypy
step "pytest (sqlite)" pytest_sqlite
step "pytest (postgresql)" pytest_postgresql
step "frontend lint" frontend_lint
step "browser tests (playwright)" ui_tests

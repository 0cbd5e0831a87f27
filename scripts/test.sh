#!/usr/bin/env bash
# Install what the tests need and run them all: bash scripts/test.sh [pytest args]
# One pytest-xdist worker per core (TEST_WORKERS=N to choose, 0 for none), each test file whole on one worker:
# files share module fixtures (demo databases, app servers), so splitting a file would build them twice.
# Browser tests need Debian's chromium (+ CJK fonts for readable screenshots), the deployment test nginx;
# installed here when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/nginx ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk nginx-light >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk nginx-light >/dev/null
  fi
fi
python -m pip install -q -e ".[test]"

# Tests never write into the checkout (issue 14): the tracked files and the list of untracked, not ignored files
# must be the same after the run as before it (a developer's own edits are allowed: they are in both).
tree_state() {
  git status --porcelain --untracked-files=all && git diff HEAD --no-ext-diff --binary | sha256sum
}
in_git=0
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then in_git=1; before=$(tree_state); fi
status=0
python -m pytest -n "${TEST_WORKERS:-auto}" --dist loadfile "$@" || status=$?
if [ "$in_git" = 1 ]; then
  after=$(tree_state)
  if [ "$after" != "$before" ]; then
    echo "ERROR: the tests changed the checkout (they must write to tmp_path). git status before and after:" >&2
    diff <(echo "$before") <(echo "$after") >&2 || true
    exit 1
  fi
fi
exit "$status"

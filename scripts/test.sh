#!/usr/bin/env bash
# Install what the tests need and run them all: bash scripts/test.sh [pytest args]
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
exec python -m pytest "$@"

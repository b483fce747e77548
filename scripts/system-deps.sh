#!/usr/bin/env bash
# Installs the real components the test suite runs against (SPEC 11): Prometheus, PostgreSQL, tmux.
# Debian packages, installed only when missing and only when we may (root with apt-get).
# Without them the tests that need them are skipped, and say so loudly.
set -u
need=()
command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] || need+=(prometheus)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "WARNING: missing ${need[*]} and cannot install (need root and apt-get): those tests will be SKIPPED" >&2
  exit 0
fi
echo "installing ${need[*]} (Debian packages) for the test suite…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
  echo "WARNING: apt-get could not install ${need[*]}: those tests will be SKIPPED" >&2
fi
# The Debian prometheus package starts a system service on :9090; the tests start their own.
command -v systemctl >/dev/null 2>&1 && systemctl stop prometheus >/dev/null 2>&1 || true
exit 0

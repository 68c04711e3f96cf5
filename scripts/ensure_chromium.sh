#!/usr/bin/env bash
# Browser tests drive Debian's chromium (never a downloaded browser build).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "error: the browser tests need Debian's chromium: sudo apt-get install chromium" >&2
  exit 1
fi
echo "Installing Debian's chromium for the browser tests..."
export DEBIAN_FRONTEND=noninteractive
# An install cut short earlier (a killed session, a full disk) leaves dpkg half-configured and
# apt refuses everything until it is finished: finish it first, then install (twice if need be,
# since a mirror hiccup should not fail the browser suite).
dpkg --configure -a >/dev/null 2>&1 || true
for attempt in 1 2; do
  if apt-get update -qq && apt-get install -y -qq -o Dpkg::Options::=--force-confold chromium >/dev/null; then
    exit 0
  fi
  echo "apt-get failed (attempt $attempt); repairing dpkg and trying again..." >&2
  dpkg --configure -a >/dev/null 2>&1 || true
  apt-get -f install -y -qq >/dev/null 2>&1 || true
  sleep 5
done
command -v chromium >/dev/null 2>&1 || { echo "error: could not install Debian's chromium" >&2; exit 1; }

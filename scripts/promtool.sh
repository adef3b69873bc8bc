#!/usr/bin/env bash
# Puts Prometheus's `promtool` in target/tools/ for the metrics test, when
# the PATH has none. Debian bookworm ships promtool only inside the
# `prometheus` server package, which installs 323 MB with its dependencies
# (218 MB of them JavaScript for the web UI); the test needs one binary, so
# the package (19 MB) is downloaded with apt and only promtool is taken
# out of it. Prints the directory to put on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$PWD/target/tools
if command -v promtool >/dev/null; then
    dirname "$(command -v promtool)"
    exit 0
fi
if [ -x "$tools/promtool" ]; then
    echo "$tools"
    exit 0
fi
mkdir -p "$tools"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q prometheus >/dev/null 2>&1) \
    || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"; $sudo apt-get update -q >/dev/null \
         && (cd "$work" && apt-get download -q prometheus >/dev/null); }
dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
install -m 0755 "$work/root/usr/bin/promtool" "$tools/promtool"
"$tools/promtool" --version >/dev/null
echo "$tools"

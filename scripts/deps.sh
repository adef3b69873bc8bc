#!/usr/bin/env bash
# Installs the Debian packages camsentry builds and tests with, when missing.
# Usage: scripts/deps.sh [extra-package...]
# A package may name its suite as `package/suite` (for example
# `suricata/bookworm-backports`, since bookworm itself ships Suricata 6):
# the suite is added to the apt sources only when no source lists it yet.
set -euo pipefail

packages=(libpcap-dev pkg-config "$@")
missing=()
plain=()
suites=()
for spec in "${packages[@]}"; do
    package="${spec%%/*}"
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        && continue
    missing+=("$spec")
    if [ "$spec" = "$package" ]; then
        plain+=("$package")
    else
        suites+=("${spec#*/}")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
for suite in ${suites[@]+"${suites[@]}"}; do
    # Matches both one-line (`deb URI suite main`) and deb822 (`Suites: a b`) sources.
    if ! grep -Eqs "(^deb .* ${suite} |^Suites:.*[[:space:]]${suite}([[:space:]]|$))" \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
        echo "adding apt suite: ${suite}" >&2
        echo "deb http://deb.debian.org/debian ${suite} main" \
            | $sudo tee "/etc/apt/sources.list.d/${suite}.list" >/dev/null
    fi
done
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -q
install() {
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@"
}
[ ${#plain[@]} -eq 0 ] || install "${plain[@]}"
# A package from another suite takes its dependencies from there too
# (Suricata 7 needs the backported libhtp2): `-t` per suite.
for suite in $(printf '%s\n' ${suites[@]+"${suites[@]}"} | sort -u); do
    wanted=()
    for spec in "${missing[@]}"; do
        [ "$spec" = "${spec%%/*}/${suite}" ] && wanted+=("${spec%%/*}")
    done
    install -t "$suite" "${wanted[@]}"
done

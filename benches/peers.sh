#!/usr/bin/env bash
# Whole-run throughput of camsentry and its peers on the same capture.
#
#   benches/peers.sh CAPTURE [RUNS]
#
# Measures, side by side and RUNS times each (default 3, median reported):
#   detect     camsentry replay with detection on (zero configuration),
#              alerts to /dev/null: the product as it runs
#   camsentry  replay with flow records and detection off (flow tracking
#              only, like the Suricata run)
#   tcpdump    -r CAPTURE -w /dev/null: the libpcap read floor
#   ndpiReader flow tracking plus protocol detection (libndpi-bin)
#   suricata   7, flow tracking only: no rules, no outputs, runmode single
#              (its fastest here), from bookworm-backports
#   softflowd  flow tracking, NetFlow v9 export to the discard port
#   nfpcapd    nfdump's flow tracking from pcap, records to a scratch dir
# and prints packets/s, each one's ratio to camsentry with detection on,
# and the share of the tcpdump read floor. Missing peers are installed from
# Debian packages. Peak RSS comes from GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."

capture=${1:?usage: benches/peers.sh CAPTURE [RUNS]}
runs=${2:-3}
[ -r "$capture" ] || { echo "cannot read $capture" >&2; exit 2; }

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
install() {
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$@" >/dev/null
}
command -v tcpdump >/dev/null || install tcpdump
command -v ndpiReader >/dev/null || install libndpi-bin
command -v softflowd >/dev/null || install softflowd
command -v nfpcapd >/dev/null || install nfdump
command -v capinfos >/dev/null || install tshark
[ -x /usr/bin/time ] || install time
if ! command -v suricata >/dev/null || ! suricata -V | grep -q 'version 7'; then
    if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
        echo "deb http://deb.debian.org/debian bookworm-backports main" \
            | $sudo tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
        $sudo apt-get update -q >/dev/null
    fi
    install -t bookworm-backports suricata
fi
cargo build --release --quiet
camsentry=target/release/camsentry

packets=$(capinfos -c -M "$capture" | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Suricata with flow tracking only: an empty rule set and every output off.
cat > "$work/suricata.yaml" <<YAML
%YAML 1.1
---
default-log-dir: $work
outputs: []
logging:
  default-log-level: error
  outputs:
    - console:
        enabled: yes
app-layer:
  protocols: {}
flow:
  memcap: 2gb
  hash-size: 1048576
  prealloc: 10000
stream:
  memcap: 2gb
  reassembly:
    memcap: 2gb
YAML

# Runs "$@" and prints "seconds max_rss_kib".
measure() {
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>&1 || true
    cat "$work/time"
}

declare -A cmd
mkdir -p "$work/nfpcapd"
cmd[detect]="$camsentry replay --quiet --alerts /dev/null $capture"
cmd[camsentry]="$camsentry replay --quiet --no-detect $capture"
cmd[tcpdump]="tcpdump -r $capture -w /dev/null"
cmd[ndpiReader]="ndpiReader -q -i $capture"
cmd[suricata]="suricata -c $work/suricata.yaml -r $capture --runmode single -k none -S /dev/null -l $work"
cmd[softflowd]="softflowd -r $capture -n 127.0.0.1:9 -v 9"
cmd[nfpcapd]="nfpcapd -r $capture -w $work/nfpcapd"
order=(detect camsentry tcpdump ndpiReader suricata softflowd nfpcapd)

declare -A median_s rss
for tool in "${order[@]}"; do
    times=()
    peak=0
    for _ in $(seq "$runs"); do
        read -r seconds kib < <(measure ${cmd[$tool]})
        times+=("$seconds")
        [ "$kib" -gt "$peak" ] && peak=$kib
    done
    median_s[$tool]=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    rss[$tool]=$peak
done

echo "capture: $capture ($packets packets), median of $runs runs, $(nproc) CPUs"
printf '%-11s %10s %14s %12s %10s %12s\n' tool seconds packets/s "detect / it" "of floor" "peak RSS MiB"
base=$(awk -v p="$packets" -v s="${median_s[detect]}" 'BEGIN {print p / (s > 0 ? s : 0.001)}')
floor=$(awk -v p="$packets" -v s="${median_s[tcpdump]}" 'BEGIN {print p / (s > 0 ? s : 0.001)}')
for tool in "${order[@]}"; do
    awk -v t="$tool" -v p="$packets" -v s="${median_s[$tool]}" -v b="$base" -v f="$floor" -v m="${rss[$tool]}" \
        'BEGIN {pps = p / (s > 0 ? s : 0.001); printf "%-11s %10.2f %14.0f %11.2fx %9.0f%% %12.0f\n", t, s, pps, b / pps, 100 * pps / f, m / 1024}'
done

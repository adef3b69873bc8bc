#!/usr/bin/env bash
# Live-capture loss of camsentry at top speed and at fixed replay rates.
#
#   sudo benches/live.sh CAPTURE [RATE...]
#   sudo READERS="1 2" benches/live.sh CAPTURE topspeed
#
# RATE is `topspeed`, `Npps` or `NMbps` (default: topspeed 200000pps
# 500000pps). A fresh network namespace gets a veth pair cap0/inj0;
# for every phase (one RATE, one run) a fresh `camsentry live -i cap0` is
# started, CAPTURE is sent into inj0 with tcpreplay, camsentry is stopped
# with SIGTERM once it has drained, and its end-of-run summary is read.
#
# Reported per phase, then as the median of RUNS runs (each column's own
# median):
#   sent        packets tcpreplay sent (its own "Actual:" line)
#   seen        packets libpcap handed to camsentry (summary: "N packets")
#   loss%       (sent - seen) / sent
#   kern_drop   libpcap kernel drops: the capture ring (--buffer-mib) was full
#   queue_drop  seen but dropped: every worker queue was full
#   kept_loss%  (sent - seen + queue_drop) / sent: what never reached a worker
#   pre_pcap    sent - libpcap's "received": lost before the capture socket
#               (veth / per-CPU backlog, net.core.netdev_max_backlog)
#   veth_drop   inj0 tx_dropped + cap0 rx_dropped during the phase
#   pps, Mbps   the rate tcpreplay achieved (its "Rated:" line)
#   load        1-minute load average when the phase started: the machine
#               may be shared, and the sender, the kernel's copies and
#               camsentry compete for the same CPUs
#
# Environment:
#   CAMSENTRY      binary [target/release/camsentry; build it first]
#   DETECT=1       run the detectors (default: --no-detect, flows only)
#   BUFFER_MIB     --buffer-mib [64]
#   WORKERS        --workers [camsentry's default: number of CPUs]
#   POLICY         --policy FILE [none: zero configuration]
#   READERS        --readers values to compare, space separated ["1"]; every
#                  RATE runs once per value in each run (interleaved, so
#                  that a change of machine load hits all of them), and the
#                  phase is named RATE/rN. With N > 1 the per-reader split
#                  of libpcap's "received" is printed under each row
#   SNAPLEN        --snaplen [camsentry's default, 262144]. libpcap sizes
#                  each ring slot from it (capped at 64 KiB + 18 when the
#                  interface has offloads, as veth does): with the default
#                  a 64 MiB buffer holds about 1000 packets, with
#                  SNAPLEN=1600 about 40000
#   RUNS           runs of every phase [3]
#   PHASE_SECONDS  tcpreplay --duration bound of one phase [60]; every
#                  other wait is bounded too
#   RAW            also append the raw per-run counters (space separated:
#                  capture buffer= snaplen= detect= phase run sent seen kern_drop
#                  queue_drop received veth_drop pps Mbps load) to this file
#
# Needs root (network namespaces); installs tcpreplay and iproute2 with
# apt-get when missing. The namespace and the temporary files are removed on
# every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    echo "usage: benches/live.sh CAPTURE [topspeed|Npps|NMbps ...]" >&2
    exit 2
}
capture=${1:-}
[ -n "$capture" ] || usage
shift
[ -r "$capture" ] || { echo "cannot read $capture" >&2; exit 2; }
capture=$(readlink -f "$capture")
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(topspeed 200000pps 500000pps)
for rate in "${rates[@]}"; do
    [[ $rate == topspeed || $rate =~ ^[0-9]+(\.[0-9]+)?(pps|[Mm]bps)$ ]] \
        || { echo "bad rate: $rate" >&2; usage; }
done

[ "$(id -u)" -eq 0 ] || { echo "benches/live.sh needs root (network namespaces)" >&2; exit 2; }
install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}
command -v ip >/dev/null || install iproute2
command -v tcpreplay >/dev/null || install tcpreplay

camsentry=$(readlink -f "${CAMSENTRY:-target/release/camsentry}")
[ -x "$camsentry" ] || {
    echo "no camsentry binary at $camsentry: run cargo build --release or set CAMSENTRY" >&2
    exit 2
}
detect=${DETECT:-0}
buffer_mib=${BUFFER_MIB:-64}
runs=${RUNS:-3}
phase_seconds=${PHASE_SECONDS:-60}
workers=${WORKERS:-}
policy=${POLICY:+$(readlink -f "$POLICY")}
read -r -a readers_list <<<"${READERS:-1}"
for n in "${readers_list[@]}"; do
    [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || { echo "bad READERS value: $n" >&2; exit 2; }
done
snaplen=${SNAPLEN:-}

ns="camsentry-bench-$$-$RANDOM"
work=$(mktemp -d /tmp/camsentry-live-bench.XXXXXX)
sensor_pid=""
replay_pid=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    # timeout passes SIGTERM on to tcpreplay.
    if [ -n "$replay_pid" ] && kill -0 "$replay_pid" 2>/dev/null; then
        kill -TERM "$replay_pid" 2>/dev/null || true
        wait "$replay_pid" 2>/dev/null || true
    fi
    if [ -n "$sensor_pid" ] && kill -0 "$sensor_pid" 2>/dev/null; then
        kill -KILL "$sensor_pid" 2>/dev/null || true
        wait "$sensor_pid" 2>/dev/null || true
    fi
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The namespace: no IPv6 autoconfiguration, no addresses, so only the
# replayed packets cross the pair.
ip netns add "$ns"
ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" link add cap0 type veth peer name inj0
ip -n "$ns" link set lo up
ip -n "$ns" link set cap0 up
ip -n "$ns" link set inj0 up
nsexec() { ip netns exec "$ns" "$@"; }

# Drop counters of the pair (ip netns exec mounts the namespace's sysfs).
veth_drops() {
    nsexec sh -c 'echo $(( $(cat /sys/class/net/inj0/statistics/tx_dropped)
        + $(cat /sys/class/net/cap0/statistics/rx_dropped) ))'
}

# The newest "packets" of the stats log (0 before the first record).
stats_packets() {
    local n
    n=$(grep -o '"packets":[0-9]*' "$work/stats.jsonl" 2>/dev/null | tail -n 1 | cut -d: -f2)
    echo "${n:-0}"
}

# Alive and not a zombie.
alive() {
    local state
    state=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$state" != Z ]
}

# One phase (RATE, --readers N): writes "sent seen kern_drop queue_drop received veth_drop pps
# mbps load" to $work/result. Not run in a subshell, so that the trap sees
# sensor_pid.
phase() {
    local rate=$1 readers=$2 rate_opt
    case $rate in
        topspeed) rate_opt=--topspeed ;;
        *pps) rate_opt=--pps=${rate%pps} ;;
        *) rate_opt=--mbps=${rate%[Mm]bps} ;;
    esac
    rm -f "$work"/stats.jsonl "$work"/sensor.err "$work"/tcpreplay.out "$work"/alerts.json
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    local args=(live -i cap0 --buffer-mib "$buffer_mib"
        --stats-interval 1s --stats-log "$work/stats.jsonl")
    if [ "$detect" = 1 ]; then
        args+=(--alerts "$work/alerts.json")
    else
        args+=(--no-detect)
    fi
    [ -z "$workers" ] || args+=(--workers "$workers")
    [ -z "$policy" ] || args+=(--policy "$policy")
    args+=(--readers "$readers")
    [ -z "$snaplen" ] || args+=(--snaplen "$snaplen")
    # A simple command (not a function, which would run in a subshell), and
    # `ip netns exec` execs it: $! is camsentry itself.
    ip netns exec "$ns" "$camsentry" "${args[@]}" >/dev/null 2>"$work/sensor.err" &
    sensor_pid=$!
    # Capturing once the first stats record is out: the collector starts
    # after the interface is open.
    local deadline=$((SECONDS + 15))
    until [ -s "$work/stats.jsonl" ]; do
        if ! alive "$sensor_pid" || [ $SECONDS -ge $deadline ]; then
            echo "camsentry live did not start:" >&2
            cat "$work/sensor.err" >&2
            return 1
        fi
        sleep 0.1
    done
    [ "$(cat "/proc/$sensor_pid/comm")" = camsentry ] \
        || { echo "unexpected process $sensor_pid: $(cat "/proc/$sensor_pid/comm")" >&2; return 1; }
    local drops_before
    drops_before=$(veth_drops)

    # No flow statistics: tcpreplay's own per-flow hashing slows it down
    # fourfold on small-flows. In the background so that a signal to this
    # script is handled at once (`wait` returns) and the trap stops it.
    timeout $((phase_seconds + 30)) ip netns exec "$ns" \
        tcpreplay -i inj0 --no-flow-stats "$rate_opt" --duration="$phase_seconds" \
        "$capture" >"$work/tcpreplay.out" 2>&1 &
    replay_pid=$!
    if ! wait "$replay_pid"; then
        echo "tcpreplay failed ($rate):" >&2
        cat "$work/tcpreplay.out" >&2
        return 1
    fi
    replay_pid=""

    # Let camsentry drain its ring: stop once two stats records in a row
    # show no new packets (bounded).
    local last=-1 now still=0
    deadline=$((SECONDS + 60))
    while [ $still -lt 2 ] && [ $SECONDS -lt $deadline ]; do
        sleep 1
        now=$(stats_packets)
        if [ "$now" = "$last" ]; then still=$((still + 1)); else still=0; fi
        last=$now
    done
    if ! alive "$sensor_pid"; then
        echo "camsentry live stopped before the end of phase $rate" >&2
    fi
    kill -TERM "$sensor_pid" 2>/dev/null || true
    deadline=$((SECONDS + 60))
    while alive "$sensor_pid" && [ $SECONDS -lt $deadline ]; do
        sleep 0.2
    done
    local code=0
    if alive "$sensor_pid"; then
        echo "camsentry did not stop within 60 s of SIGTERM" >&2
        return 1
    fi
    wait "$sensor_pid" || code=$?
    sensor_pid=""
    if [ "$code" -ne 0 ] || ! grep -q 'received by libpcap' "$work/sensor.err"; then
        echo "camsentry live exited with $code:" >&2
        cat "$work/sensor.err" >&2
        return 1
    fi
    local drops_after
    drops_after=$(veth_drops)

    # tcpreplay: "Actual: N packets (B bytes) sent in S seconds" and
    # "Rated: X Bps, Y Mbps, Z pps".
    local sent mbps pps
    sent=$(awk '/^Actual:/ {print $2}' "$work/tcpreplay.out")
    mbps=$(awk '/^Rated:/ {print $4}' "$work/tcpreplay.out")
    pps=$(awk '/^Rated:/ {print $6}' "$work/tcpreplay.out")
    # camsentry: "camsentry: ... N packets, ..." and
    # "capture: R received by libpcap, dropped K (kernel buffer), I (interface), Q (worker queues full)".
    local seen received kern queue
    seen=$(sed -n 's/^camsentry: .*, \([0-9]*\) packets, .*/\1/p' "$work/sensor.err")
    read -r received kern queue < <(sed -n \
        's/.*capture: \([0-9]*\) received by libpcap, dropped \([0-9]*\) (kernel buffer), [0-9]* (interface), \([0-9]*\) (worker queues full).*/\1 \2 \3/p' \
        "$work/sensor.err") || true
    if [ -z "$sent" ] || [ -z "$seen" ] || [ -z "$queue" ]; then
        echo "could not read the counters of phase $rate:" >&2
        cat "$work/tcpreplay.out" "$work/sensor.err" >&2
        return 1
    fi
    echo "$sent $seen $kern $queue $received $((drops_after - drops_before)) ${pps%.*} $mbps $load" \
        >"$work/result"
}

# percent A B: 100 * A / B with two decimals.
percent() { awk -v a="$1" -v b="$2" 'BEGIN { printf("%.2f", b > 0 ? 100 * a / b : 0) }'; }

format='%-13s %4s %9s %9s %7s %9s %10s %10s %9s %9s %9s %8s %5s\n'
header() {
    # shellcheck disable=SC2059
    printf "$format" phase run sent seen loss% kern_drop queue_drop kept_loss% pre_pcap veth_drop pps Mbps load
}
# row PHASE RUN sent seen kern queue received veth pps mbps load
row() {
    local sent=$3 seen=$4 kern=$5 queue=$6 received=$7
    # shellcheck disable=SC2059
    printf "$format" "$1" "$2" "$sent" "$seen" "$(percent $((sent - seen)) "$sent")" \
        "$kern" "$queue" "$(percent $((sent - seen + queue)) "$sent")" \
        $((sent - received)) "$8" "$9" "${10}" "${11}"
}
# The median of the numbers on stdin (the lower middle one for an even count,
# so that counters stay whole numbers).
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "camsentry live over veth: $(basename "$capture"), buffer ${buffer_mib} MiB," \
    "detection $([ "$detect" = 1 ] && echo on || echo off), workers ${workers:-default}, policy ${policy:-none}, readers ${readers_list[*]}," \
    "snaplen ${snaplen:-default}," \
    "$runs run(s), $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
header
phases=()
for rate in "${rates[@]}"; do
    for n in "${readers_list[@]}"; do
        phases+=("$rate/r$n")
    done
done
for run in $(seq 1 "$runs"); do
    for label in "${phases[@]}"; do
        phase "${label%/r*}" "${label##*/r}"
        line=$(cat "$work/result")
        echo "$label $run $line" >>"$work/rows"
        [ -z "${RAW:-}" ] || echo "$(basename "$capture") buffer=$buffer_mib snaplen=${snaplen:-default} detect=$detect $label $run $line" >>"$RAW"
        # shellcheck disable=SC2086
        row $label $run $line
        # "readers (kernel buffer + interface drops): #0 R received, K + I dropped; ..."
        split=$(sed -n 's/.*readers (kernel buffer + interface drops): //p' "$work/sensor.err")
        [ -z "$split" ] || echo "              per reader: $split"
    done
done
if [ "$runs" -gt 1 ]; then
    echo
    echo "median of $runs runs (each column separately):"
    header
    for label in "${phases[@]}"; do
        medians=()
        for column in 3 4 5 6 7 8 9 10 11; do
            medians+=("$(awk -v r="$label" -v c="$column" '$1 == r { print $c }' "$work/rows" | median)")
        done
        # Loss columns from the median counters.
        row "$label" med "${medians[@]}"
    done
fi

#!/usr/bin/env bash
# tcp: iperf3 between two network namespaces, through the split driver and
# through the kernel's own pair, in the same run, in turn.
#
#   splitdrv-tso:  each namespace's TAP is a guest's netfront (net-guest,
#                  TSO and checksum offload through the TAP: 64 KiB GSO
#                  frames cross whole), netback-dpdk switching between them
#   splitdrv-mtu:  the same with --no-offload: 1500-byte frames
#   veth:          a veth pair between the namespaces (the peer: what the
#                  kernel does without any driver in between)
#
# Each round runs the three, the order rotating; throughput is iperf3's
# receiver figure over SECS seconds.  Prints a table, writes tcp.csv and
# tcp.svg.
#
#   bench/netperf/tcp.sh [--build DIR] [--secs N] [--rounds N] [--out DIR]
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build secs=5 rounds=1 out=$root/bench/results

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$(cd "$2" && pwd) || exit 2; shift 2 ;;
	--secs) secs=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "tcp.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
case "$secs$rounds" in *[!0-9]*) echo "tcp.sh: --secs and --rounds take whole numbers" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "tcp.sh: needs root (namespaces, TAP devices)" >&2; exit 1; }
for exe in hv-stub/hv-stub tools/hvctl tools/net-guest netback/netback-dpdk; do
	[ -x "$build/$exe" ] || { echo "tcp.sh: $build/$exe is not built (meson compile -C $build)" >&2; exit 1; }
done
command -v iperf3 > /dev/null || { echo "tcp.sh: iperf3 is not installed (scripts/install-deps.sh)" >&2; exit 1; }

d=$(mktemp -d)
ns1=sdrv-tcp$$-1 ns2=sdrv-tcp$$-2
pids=()

. "$root/scripts/harness.sh"
trap 'world_cleanup "$d" "$ns1" "$ns2"' EXIT
hvstub_up "$build" "$d" || { echo "tcp.sh: hv-stub did not start" >&2; exit 1; }
pids+=("$hvstub_pid")
guests_up "$build" 32M || { echo "tcp.sh: the guests (above)" >&2; exit 1; }
"$build/netback/netback-dpdk" -l 0 --no-huge --no-pci -m 256 --log-level=error \
	--file-prefix "tcp$$" > "$d/nb.out" 2> "$d/nb.err" &
pids+=($!)
ip netns add "$ns1" && ip netns add "$ns2" || exit 1

# guests MODE: both guests' net-guest, with offload or --no-offload.
guests() {
	local id ns
	for id in 1 2; do
		ns=$([ $id = 1 ] && echo "$ns1" || echo "$ns2")
		ip netns exec "$ns" "$build/tools/net-guest" $1 $id > "$d/g$id.out" 2>&1 &
		eval "guest$id=$!"
	done
	for id in 1 2; do
		ns=$([ $id = 1 ] && echo "$ns1" || echo "$ns2")
		for _ in $(seq 100); do ip netns exec "$ns" ip link show vif$id.0 > /dev/null 2>&1 && break; sleep 0.05; done
		ip netns exec "$ns" ip addr add 10.78.0.$id/24 dev vif$id.0
	done
}
guests_down() {
	kill -INT "$guest1" "$guest2"
	wait "$guest1" "$guest2" 2> /dev/null
}

# iperf3 ns1 -> ADDRESS in ns2 for SECS seconds; Gbit/s received.
measure() {
	ip netns exec "$ns2" iperf3 -s -1 > /dev/null 2>&1 &
	local srv=$!
	sleep 0.3
	ip netns exec "$ns1" timeout $((secs + 20)) iperf3 -c "$1" -t "$secs" -J > "$d/iperf.json" 2> /dev/null
	wait $srv 2> /dev/null
	python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' \
		"$d/iperf.json" 2> /dev/null || echo 0
}

run() { # SIDE
	case $1 in
	splitdrv-tso) guests ""; measure 10.78.0.2; guests_down ;;
	splitdrv-mtu) guests --no-offload; measure 10.78.0.2; guests_down ;;
	veth)
		ip link add "vt$$a" netns "$ns1" type veth peer name "vt$$b" netns "$ns2"
		ip netns exec "$ns1" ip addr add 10.79.0.1/24 dev "vt$$a"
		ip netns exec "$ns2" ip addr add 10.79.0.2/24 dev "vt$$b"
		ip netns exec "$ns1" ip link set "vt$$a" up
		ip netns exec "$ns2" ip link set "vt$$b" up
		measure 10.79.0.2
		ip netns exec "$ns1" ip link del "vt$$a"
		;;
	esac
}

mkdir -p "$out"
csv=$out/tcp.csv
# The benchmarks' common columns, then the seconds measured.
echo "section,workload,metric,splitdrv,peer,peer_value,ratio,lower_is_better,secs" > "$csv"
printf '%-5s %12s %12s %8s %9s %9s\n' round "splitdrv TSO" "splitdrv MTU" veth "TSO/veth" "TSO/MTU"
sides=(splitdrv-tso splitdrv-mtu veth)
for r in $(seq "$rounds"); do
	declare -A got=()
	for k in 0 1 2; do
		side=${sides[$(((k + r) % 3))]}
		printf '  [round %d/%d: %s]\r' "$r" "$rounds" "$side" >&2
		got[$side]=$(run "$side")
	done
	printf "\r%70s\r" "" >&2
	tso=${got[splitdrv-tso]} mtu=${got[splitdrv-mtu]} veth=${got[veth]}
	ratio() { python3 -c "import sys; a,b=map(float,sys.argv[1:]); print('%.2f' % (a/b) if b else 'n/a')" "$1" "$2"; }
	printf '%-5s %12s %12s %8s %8sx %8sx\n' "$r" "$tso" "$mtu" "$veth" "$(ratio "$tso" "$veth")" "$(ratio "$tso" "$mtu")"
	echo "tcp,iperf3 ns to ns round $r,Gbit/s,$tso,veth,$veth,$(ratio "$tso" "$veth"),0,$secs" >> "$csv"
	echo "tcp,iperf3 ns to ns round $r,Gbit/s,$tso,splitdrv without TSO,$mtu,$(ratio "$tso" "$mtu"),0,$secs" >> "$csv"
	unset got
done
tail -n +2 "$csv" | awk -F, '{ printf "%s\t%s: splitdrv with TSO / %s\n", $7, $2, $5 }' > "$d/ratios.tsv"
plot_ratios "$d/ratios.tsv" "$out/tcp.svg" "iperf3 between two namespaces: splitdrv over veth, and TSO over none (Gbit/s ratio)" "ratio" &&
	echo "tcp.sh: wrote $csv and $out/tcp.svg"

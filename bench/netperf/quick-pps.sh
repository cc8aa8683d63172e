#!/usr/bin/env bash
# netperf, first cut: packets per second through the network path against
# its paravirtual peer, in the same run, alternating which goes first.
#
#   splitdrv: net-pps in guest domain 1 sends (guest TX) or receives
#             (guest RX) through netfront; netback-dpdk switches to or from
#             a net_null port.
#   peer:     dpdk-testpmd with virtio-user (txonly, or rxonly) against
#             dpdk-testpmd with vhost-user (rxonly, or txonly), one
#             forwarding core each (see PEERS in the docs).
#
# Prints a table (Mpps, ratio, CPU per packet of each side) and writes
# bench/results/netperf.csv.  Not yet the issue's benchmark: there is no
# netfront driver for testpmd yet, so our guest end is net-pps.
#   bench/netperf/quick-pps.sh [BUILD_DIR] [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build} secs=${2:-3} rounds=${3:-1}
for n in "$secs" "$rounds"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "quick-pps: '$n' is not a positive whole number" >&2; exit 2; }
done
command -v dpdk-testpmd > /dev/null || { echo "quick-pps: dpdk-testpmd is not installed (apt-get install dpdk-dev)" >&2; exit 1; }
for exe in hv-stub/hv-stub netback/netback-dpdk bench/net-pps; do
	[ -x "$build/$exe" ] || { echo "quick-pps: $build/$exe is missing: build first" >&2; exit 1; }
done
d=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$d"' EXIT
hz=$(getconf CLK_TCK)
proc_cpu() { awk -v hz="$hz" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$1/stat"; }
calc() { echo "$1" | bc -l; }

"$build/hv-stub/hv-stub" --socket "$d/hv.sock" --dom0-mem 64M \
	--xenstored "$build/xenstore/daemon/sdrv-xenstored" --xenstore "$d/xs.sock" 2> "$d/hv.log" &
pids+=($!)
for _ in $(seq 200); do [ -S "$d/xs.sock" ] && break; sleep 0.05; done
export HVSTUB_SOCKET=$d/hv.sock XENSTORED_PATH=$d/xs.sock
"$build/tools/hvctl" create guest1 --id 1 --mem 32M > /dev/null
"$build/tools/hvctl" network-attach 1 > /dev/null
"$build/netback/netback-dpdk" --no-huge --no-pci -m 256 --log-level=error \
	--file-prefix "qp$$" --vdev net_null0 > "$d/nb.out" 2>&1 &
nb=$!
pids+=($nb)
sleep 1

# splitdrv DIR SIZE: "pps ns/packet" (guest + netback CPU per packet).
splitdrv() {
	local before out pps guest_ns
	before=$(proc_cpu "$nb")
	out=$("$build/bench/net-pps" 1 --$1 --size "$2" --secs "$secs")
	pps=$(awk '{ print $2 }' <<< "$out")
	guest_ns=$(awk '{ print $4 }' <<< "$out")
	echo "$pps $(calc "$guest_ns + ($(proc_cpu "$nb") - $before) * 1000000000 / ($pps * $secs)")"
}
# peer DIR SIZE: "pps ns/packet" (both testpmd processes' CPU per packet).
peer() {
	local front_mode back_mode sock=$d/vhost.sock pps be fe cpu
	[ "$1" = tx ] && { front_mode=txonly back_mode=rxonly; } || { front_mode=rxonly back_mode=txonly; }
	rm -f "$sock"
	dpdk-testpmd -l 0,1 --main-lcore 0 --no-huge -m 256 --no-pci --file-prefix "be$$" \
		--vdev "net_vhost0,iface=$sock" -- --nb-cores=1 --forward-mode=$back_mode \
		--txpkts="$2" --stats-period 1 --total-num-mbufs=16384 > "$d/be.log" 2>&1 &
	be=$!
	sleep 1.5
	dpdk-testpmd -l 1,0 --main-lcore 1 --no-huge -m 256 --no-pci --file-prefix "fe$$" \
		--vdev "net_virtio_user0,path=$sock" -- --nb-cores=1 --forward-mode=$front_mode \
		--txpkts="$2" --stats-period 1 --total-num-mbufs=16384 > "$d/fe.log" 2>&1 &
	fe=$!
	sleep 1
	cpu=$(calc "$(proc_cpu $be) + $(proc_cpu $fe)")
	sleep "$secs"
	cpu=$(calc "$(proc_cpu $be) + $(proc_cpu $fe) - $cpu")
	kill -INT $fe $be 2>/dev/null
	wait $fe $be 2>/dev/null || true
	# The receiving side's last few per-second rates, averaged.
	if [ "$1" = tx ]; then log=$d/be.log; else log=$d/fe.log; fi
	pps=$(grep -o "Rx-pps: *[0-9]*" "$log" | awk '{ print $2 }' | tail -n "$secs" |
		awk '{ s += $1; n++ } END { printf "%.0f\n", n ? s / n : 0 }')
	echo "$pps $(calc "$cpu * 1000000000 / ($pps * $secs)")"
}

mkdir -p bench/results
csv=bench/results/netperf.csv
echo "section,workload,metric,splitdrv,peer,peer_value,ratio,lower_is_better,splitdrv_ns_per_packet,peer_ns_per_packet" > "$csv.tmp"
printf '%-9s %-6s %-4s %10s %10s %7s %12s %12s\n' direction size rnd "splitdrv" "vhost" ratio "ns/pkt us" "ns/pkt vh"
for r in $(seq "$rounds"); do
	for job in "tx 64" "tx 1500" "rx 64" "rx 1500"; do
		set -- $job
		if (( r % 2 )); then s=$(splitdrv $1 $2); p=$(peer $1 $2); else p=$(peer $1 $2); s=$(splitdrv $1 $2); fi
		read -r sp sns <<< "$s"
		read -r pp pns <<< "$p"
		ratio=$(calc "$sp / $pp")
		printf '%-9s %-6s %-4s %10.3f %10.3f %6.2fx %12.0f %12.0f\n' "guest $1" "$2" "$r" \
			"$(calc "$sp / 1000000")" "$(calc "$pp / 1000000")" "$ratio" "$sns" "$pns"
		printf 'netperf,guest %s %s B round %s,Mpps,%.3f,virtio-user/vhost-user testpmd,%.3f,%.4f,0,%.0f,%.0f\n' \
			"$1" "$2" "$r" "$(calc "$sp / 1000000")" "$(calc "$pp / 1000000")" "$ratio" "$sns" "$pns" >> "$csv.tmp"
	done
done
mv "$csv.tmp" "$csv"
echo "quick-pps: wrote $csv"

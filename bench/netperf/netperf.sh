#!/usr/bin/env bash
# netperf: packets per second through the network path against its peers,
# all started here, in the same run, one forwarding core each.
#
#   splitdrv: dpdk-testpmd in guest domain 1 with the net_netfront driver
#             (txonly for guest TX, rxonly for guest RX) <-> netback-dpdk,
#             which switches to a net_null port (TX) or from a net_pcap
#             port replaying one broadcast frame forever (RX).
#   vhost:    dpdk-testpmd with virtio-user (the guest) <-> dpdk-testpmd
#             with vhost-user (the host): the paravirtual peer.
#   memif:    dpdk-testpmd with a memif client <-> a memif server.
#
# Each job (direction x frame size) runs the three in turn, the order
# rotating from job to job.  Packets per second are counted at the
# receiving end (netback-dpdk's counters for guest TX; the other testpmd
# otherwise) over the last SECS seconds; CPU per packet is both processes'
# CPU time over the same window.  Prints a table with progress, writes
# netperf.csv and netperf.svg.
#
#   bench/netperf/netperf.sh [options]
#     --build DIR    the build to measure (default: build)
#     --secs N       seconds measured per job and side (default: 3)
#     --rounds N     rounds of the whole list (default: 1); with more than
#                    one, each job's medians over the rounds too
#     --jobs LIST    a comma-separated subset of tx-64,tx-1500,rx-64,rx-1500
#     --out DIR      where netperf.csv and netperf.svg go (default:
#                    bench/results)
#     --copy-tx      netback-dpdk copies every frame a guest sends (its
#                    --copy-tx) instead of lending large ones on
#     --perf         perf-record netback-dpdk and the guest during tx-64
#                    and rx-64 (round 1) and print their top symbols
#     --attack       instead: a good guest's transmit rate (testpmd
#                    through net_netfront, 64 B, to net_null) alone, beside
#                    a quiet guest 2 (net-attack --idle: connected, sending
#                    nothing) and beside guest 2 running net-attack
#                    (malformed frames as fast as netback-dpdk answers
#                    them, no receive buffer posted), in turn, each round;
#                    prints the ratios
#     --attack-rate BYTES,USEC
#                    with --attack: the toolstack's rate limit on the
#                    attacker's vif (its backend's "rate" key), as a
#                    toolstack would set on a guest it distrusts
set -euo pipefail
cd "$(dirname "$0")/../.."

build=build secs=3 rounds=1 out=bench/results want_jobs="tx-64,tx-1500,rx-64,rx-1500" perf=0 attack=0 attack_rate="" nb_own=()
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift ;;
	--secs) secs=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--jobs) want_jobs=$2; shift ;;
	--out) out=$2; shift ;;
	--perf) perf=1 ;;
	--copy-tx) nb_own=(--copy-tx) ;;
	--attack) attack=1 ;;
	--attack-rate) attack_rate=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "netperf: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ -z "$attack_rate" ] || [[ $attack_rate =~ ^[1-9][0-9]*,[1-9][0-9]*$ ]] ||
	{ echo "netperf: --attack-rate '$attack_rate' is not BYTES,USEC (both positive)" >&2; exit 2; }
for n in "$secs" "$rounds"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "netperf: '$n' is not a positive whole number" >&2; exit 2; }
done
jobs=()
for j in ${want_jobs//,/ }; do
	[[ $j =~ ^(tx|rx)-(64|1500)$ ]] || { echo "netperf: no job '$j' (tx-64, tx-1500, rx-64 or rx-1500)" >&2; exit 2; }
	jobs+=("$j")
done
pmd=$build/netfront/dpdk/librte_net_netfront.so
for exe in hv-stub/hv-stub tools/hvctl netback/netback-dpdk netfront/dpdk/librte_net_netfront.so; do
	[ -e "$build/$exe" ] || { echo "netperf: $build/$exe is missing: build first (scripts/install-deps.sh, then meson compile -C $build)" >&2; exit 1; }
done
for tool in dpdk-testpmd bc gnuplot python3; do
	command -v $tool > /dev/null || { echo "netperf: $tool is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
[ $perf = 0 ] || command -v perf > /dev/null || { echo "netperf: --perf needs perf (apt-get install linux-perf)" >&2; exit 1; }

d=$(mktemp -d)
pids=()
. scripts/harness.sh
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null; [ -n "${NETPERF_KEEP:-}" ] || rm -rf "$d"; dpdk_plugin_cleanup' EXIT
dpdk_plugin "$pmd" || { echo "netperf: cannot copy $pmd under /run (see scripts/harness.sh)" >&2; exit 1; }
pmd=$dpdk_plugin_path
hz=$(getconf CLK_TCK)
proc_cpu() { awk -v hz="$hz" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$1/stat"; }
calc() { echo "$1" | bc -l; }
# Both sides pin their forwarding core apart: lcore 0 and lcore 1.
eal=(--no-huge --no-pci -m 256 --log-level=error)
testpmd_args=(--nb-cores=1 --stats-period 1 --total-num-mbufs=16384 --rxq=1 --txq=1)

hvstub_up "$build" "$d" || exit 1
pids+=("$hvstub_pid")
guests_up "$build" 64M || exit 1

# One broadcast frame of SIZE bytes in a pcap file, for guest RX.
pcap_frame() { # SIZE FILE
	python3 - "$1" "$2" <<'EOF'
import struct, sys
size, path = int(sys.argv[1]), sys.argv[2]
frame = b'\xff' * 6 + bytes([2, 0, 0, 0, 0, 0x10]) + b'\x88\xb5'
frame += bytes(size - len(frame))
with open(path, 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    f.write(struct.pack('<IIII', 0, 0, len(frame), len(frame)))
    f.write(frame)
EOF
}

# Wait for testpmd's forwarding to start, then measure for SECS seconds:
# sets cpu0 (both processes' CPU seconds at the start) and, for each
# testpmd log, how many statistics displays it had printed (shown0).
declare -A shown0
settle() { # LOG PID PID
	for _ in $(seq 100); do grep -q "packet forwarding - ports=" "$1" 2> /dev/null && break; sleep 0.1; done
	sleep 1
	cpu0=$(calc "$(proc_cpu "$2") + $(proc_cpu "$3")")
	local log
	for log in "$d/fe.log" "$d/be.log"; do
		shown0[$log]=$(grep -c "Rx-pps" "$log" 2> /dev/null || true)
	done
}
# The receiving testpmd's rate over the displays it printed since
# settle(): packets between displays over the time between them, which is
# each interval's packets over its own rate (testpmd times each interval;
# the period stretches when its main lcore shares a CPU with a busy one).
# A display's rate counts only with one before it: the first says 0.
log_pps() { # LOG
	awk -v from="${shown0[$1]:-0}" '
		/RX-packets:/ { pk = $2 }
		/Rx-pps:/ {
			i++
			if (i > 1 && $2 > 0) {
				last = $2
				if (i > from) { n += pk - prev; t += (pk - prev) / $2 }
			}
			prev = pk
		}
		END { printf "%.0f\n", (t > 0 ? n / t : last) }' "$1"
}
perf_on() { # NAME PID...
	local name=$1
	shift
	perf record -q -o "$d/perf-$name.data" -p "$(IFS=,; echo "$*")" -- sleep "$secs" > /dev/null 2>&1 &
	prec=$!
}
perf_report() { # NAME
	[ -f "$d/perf-$1.data" ] || return 0
	echo "perf: top symbols of netback-dpdk and the guest's testpmd during $1:"
	{ perf report -i "$d/perf-$1.data" --sort comm,dso,symbol --stdio 2> /dev/null || true; } |
		grep -E '^ +[0-9]' | head -20 | sed 's/^/  /' || true
}

# splitdrv DIR SIZE [attack|idle]: "pps ns/packet"; with attack, guest 2
# runs net-attack meanwhile, with idle net-attack --idle (and its line goes
# to $d/attack.out or $d/idle.out).
splitdrv() {
	local dir=$1 size=$2 with_attack=${3:-} port nb fe pps before after att=""
	if [ "$dir" = tx ]; then port=net_null0,no-rx=1
	else pcap_frame "$size" "$d/frame.pcap"; port="net_pcap0,rx_pcap=$d/frame.pcap,infinite_rx=1"; fi
	"$build/netback/netback-dpdk" -l 0 "${eal[@]}" --file-prefix "nb$$" --vdev "$port" -- \
		${nb_own[@]+"${nb_own[@]}"} > "$d/nb.log" 2>&1 &
	nb=$!
	pids+=($nb)
	sleep 0.5
	[ "$dir" = tx ] && mode=txonly || mode=rxonly
	dpdk-testpmd -l 0,1 --main-lcore 0 "${eal[@]}" --file-prefix "fe$$" -d "$pmd" \
		--vdev "net_netfront0,domid=1" -- "${testpmd_args[@]}" --forward-mode=$mode \
		--txpkts="$size" > "$d/fe.log" 2>&1 < /dev/null &
	fe=$!
	pids+=($fe)
	if [ -n "$with_attack" ]; then
		[ -z "$attack_rate" ] || xenstore-write /local/domain/0/backend/vif/2/0/rate "$attack_rate"
		"$build/bench/net-attack" $([ "$with_attack" = idle ] && echo --idle) 2 \
			> "$d/$with_attack.out" 2>&1 &
		att=$!
		pids+=($att)
		sleep 0.5
	fi
	settle "$d/fe.log" "$nb" "$fe"
	prec=""
	[ $perf = 1 ] && [ "$size" = 64 ] && [ "$r" = 1 ] && perf_on "$dir-$size" "$nb" "$fe"
	if [ "$dir" = tx ]; then
		# netback-dpdk's count of frames taken from the guest.
		kill -USR1 "$nb"; sleep "$secs"; kill -USR1 "$nb"; sleep 0.2
		read -r before after < <(grep -o "vif 1/0: from guest [0-9]*" "$d/nb.log" | awk '{ print $5 }' | tail -n 2 | xargs)
		pps=$(calc "($after - $before) / $secs")
	else
		sleep "$secs"
	fi
	cpu=$(calc "$(proc_cpu "$nb") + $(proc_cpu "$fe") - $cpu0")
	[ -z "$prec" ] || wait "$prec" || true
	kill -INT "$fe"; wait "$fe" 2> /dev/null || true
	[ -z "$att" ] || { kill -INT "$att" 2> /dev/null; wait "$att" 2> /dev/null || true; }
	kill -INT "$nb"; wait "$nb" 2> /dev/null || true
	[ "$dir" = tx ] || pps=$(log_pps "$d/fe.log")
	printf '%.0f %.0f\n' "$pps" "$(calc "$cpu * 1000000000 / ($pps * $secs + 1)")"
}

# peer KIND DIR SIZE: "pps ns/packet"; KIND vhost or memif.
peer() {
	local kind=$1 dir=$2 size=$3 be fe be_mode fe_mode be_dev fe_dev log pps
	[ "$dir" = tx ] && { fe_mode=txonly be_mode=rxonly; } || { fe_mode=rxonly be_mode=txonly; }
	rm -f "$d/peer.sock"
	if [ "$kind" = vhost ]; then
		be_dev="net_vhost0,iface=$d/peer.sock" fe_dev="net_virtio_user0,path=$d/peer.sock"
	else
		be_dev="net_memif0,role=server,socket=$d/peer.sock" fe_dev="net_memif0,role=client,socket=$d/peer.sock"
	fi
	dpdk-testpmd -l 0,1 --main-lcore 0 "${eal[@]}" --file-prefix "be$$" --vdev "$be_dev" -- \
		"${testpmd_args[@]}" --forward-mode=$be_mode --txpkts="$size" > "$d/be.log" 2>&1 < /dev/null &
	be=$!
	pids+=($be)
	for _ in $(seq 50); do [ -S "$d/peer.sock" ] && break; sleep 0.1; done
	dpdk-testpmd -l 1,0 --main-lcore 1 "${eal[@]}" --file-prefix "fe$$" --vdev "$fe_dev" -- \
		"${testpmd_args[@]}" --forward-mode=$fe_mode --txpkts="$size" > "$d/fe.log" 2>&1 < /dev/null &
	fe=$!
	pids+=($fe)
	settle "$d/fe.log" "$be" "$fe"
	sleep "$secs"
	cpu=$(calc "$(proc_cpu "$be") + $(proc_cpu "$fe") - $cpu0")
	kill -INT "$fe" "$be"; wait "$fe" "$be" 2> /dev/null || true
	[ "$dir" = tx ] && log=$d/be.log || log=$d/fe.log
	pps=$(log_pps "$log")
	printf '%.0f %.0f\n' "$pps" "$(calc "$cpu * 1000000000 / ($pps * $secs + 1)")"
}

# --attack: the good guest alone, beside a quiet guest and beside the
# attacker, in turn (the order reversed every other round).  The attack's
# own cost is attacked against quiet: a second vif costs the good guest
# something by itself (testpmd's frames go to an address no one has, and
# are flooded to every vif).
if [ $attack = 1 ]; then
	[ -x "$build/bench/net-attack" ] || { echo "netperf: $build/bench/net-attack is missing: build first" >&2; exit 1; }
	printf '%-4s %11s %11s %14s %10s %10s  %s\n' rnd "alone Mpps" "quiet Mpps" "attacked Mpps" \
		"/quiet" "/alone" "the attacker"
	for r in $(seq "$rounds"); do
		if (( r % 2 )); then
			read -r alone _ < <(splitdrv tx 64); read -r quiet _ < <(splitdrv tx 64 idle)
			read -r attacked _ < <(splitdrv tx 64 attack)
		else
			read -r attacked _ < <(splitdrv tx 64 attack)
			read -r quiet _ < <(splitdrv tx 64 idle); read -r alone _ < <(splitdrv tx 64)
		fi
		printf '%-4s %11.3f %11.3f %14.3f %9.2fx %9.2fx  %s   [%d/%d]\n' "$r" \
			"$(calc "$alone / 1000000")" "$(calc "$quiet / 1000000")" \
			"$(calc "$attacked / 1000000")" "$(calc "$attacked / ($quiet + 1)")" \
			"$(calc "$attacked / ($alone + 1)")" \
			"$(tail -n 1 "$d/attack.out" | tr -d "\n")" "$r" "$rounds"
	done
	exit 0
fi

mkdir -p "$out"
csv_tmp=$d/netperf.csv
echo "section,workload,metric,splitdrv,peer,peer_value,ratio,lower_is_better,splitdrv_ns_per_packet,peer_ns_per_packet" > "$csv_tmp"
total=$(( ${#jobs[@]} * rounds ))
done_jobs=0
printf '%-8s %-5s %-3s %9s %9s %9s %7s %7s %8s %8s %8s\n' direction size rnd "splitdrv" vhost memif \
	"/vhost" "/memif" "ns/p us" "ns/p vh" "ns/p mf"
for r in $(seq "$rounds"); do
	for j in "${jobs[@]}"; do
		dir=${j%-*} size=${j#*-}
		sides=(ours vhost memif)
		shift_by=$(( done_jobs % 3 ))
		order=("${sides[@]:$shift_by}" "${sides[@]:0:$shift_by}")
		for who in "${order[@]}"; do
			case $who in
			ours) read -r ours ours_ns < <(splitdrv "$dir" "$size") ;;
			vhost) read -r vh vh_ns < <(peer vhost "$dir" "$size") ;;
			memif) read -r mf mf_ns < <(peer memif "$dir" "$size") ;;
			esac
		done
		[ $perf = 1 ] && [ "$size" = 64 ] && [ "$r" = 1 ] && perf_report "$dir-$size"
		done_jobs=$((done_jobs + 1))
		r_vh=$(calc "$ours / ($vh + 1)") r_mf=$(calc "$ours / ($mf + 1)")
		printf '%-8s %-5s %-3s %9.3f %9.3f %9.3f %6.2fx %6.2fx %8.0f %8.0f %8.0f   [%d/%d]\n' \
			"guest $dir" "$size" "$r" "$(calc "$ours / 1000000")" "$(calc "$vh / 1000000")" \
			"$(calc "$mf / 1000000")" "$r_vh" "$r_mf" "$ours_ns" "$vh_ns" "$mf_ns" "$done_jobs" "$total"
		for p in "vhost $vh $r_vh $vh_ns virtio-user/vhost-user testpmd" "memif $mf $r_mf $mf_ns memif testpmd"; do
			read -r _ pv pr pns pname <<< "$p"
			printf 'netperf,guest %s %s B round %s,Mpps,%.3f,%s,%.3f,%.4f,0,%.0f,%.0f\n' \
				"$dir" "$size" "$r" "$(calc "$ours / 1000000")" "$pname" "$(calc "$pv / 1000000")" \
				"$pr" "$ours_ns" "$pns" >> "$csv_tmp"
		done
	done
done

# With rounds, each job's medians: of each side's rate, and of the
# round-by-round ratios (a round whose peer the host slowed counts once,
# not in proportion to its swing).
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
if [ "$rounds" -gt 1 ]; then
	echo "medians of $rounds rounds:"
	printf '%-8s %-5s %9s %9s %9s %7s %7s\n' direction size splitdrv vhost memif /vhost /memif
	for j in "${jobs[@]}"; do
		dir=${j%-*} size=${j#*-}
		rows() { grep "^netperf,guest $dir $size B round [0-9]*,Mpps,[^,]*,$1[^,]*," "$csv_tmp" | cut -d, -f"$2" | median; }
		m_ours=$(rows virtio 4) m_vh=$(rows virtio 6) m_mf=$(rows memif 6)
		m_rvh=$(rows virtio 7) m_rmf=$(rows memif 7)
		printf '%-8s %-5s %9.3f %9.3f %9.3f %6.2fx %6.2fx\n' "guest $dir" "$size" "$m_ours" "$m_vh" "$m_mf" "$m_rvh" "$m_rmf"
		for p in "$m_vh $m_rvh $(rows virtio 9) $(rows virtio 10) virtio-user/vhost-user testpmd" \
			"$m_mf $m_rmf $(rows memif 9) $(rows memif 10) memif testpmd"; do
			read -r pv pr ons pns pname <<< "$p"
			printf 'netperf,guest %s %s B median of %s rounds,Mpps,%.3f,%s,%.3f,%.4f,0,%.0f,%.0f\n' \
				"$dir" "$size" "$rounds" "$m_ours" "$pname" "$pv" "$pr" "$ons" "$pns" >> "$csv_tmp"
		done
	done
fi
mv "$csv_tmp" "$out/netperf.csv"
echo "netperf: wrote $out/netperf.csv"

tail -n +2 "$out/netperf.csv" | awk -F, '{ printf "%s\t%s vs %s: %s, %s vs %s ns/packet\n", $7, $2, $5, $4 " Mpps", $9, $10 }' > "$d/plot.tsv"
plot_ratios "$d/plot.tsv" "$out/netperf.svg" \
	"netperf: testpmd through net_netfront -> netback-dpdk against testpmd pairs (virtio-user/vhost-user, memif), same run" \
	'packets per second, ratio against the peer (log scale; > 1: splitdrv faster)'
echo "netperf: wrote $out/netperf.svg"

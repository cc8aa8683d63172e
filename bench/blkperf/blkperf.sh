#!/usr/bin/env bash
# blkperf: the block path against its peer, fio's own io_uring engine on the
# same file, in the same run.
#
# Each fio job of the list runs through splitdrv (a fio job in guest
# domain 1 with splitdrv's engine: its buffers in the guest's memory,
# blkfront, the ring, blkback's io_uring) and straight on the file with
# fio's io_uring engine, alternating which goes first, with O_DIRECT and
# through the page cache.  For each: IOPS and bandwidth of both, the ratio,
# and the CPU each side spent per I/O (splitdrv: the guest's fio plus
# blkback; the peer: its fio).  splitdrv's two processes can pipeline on
# two vCPUs where the peer's one process cannot: read the CPU columns with
# the ratio.
#
#   bench/blkperf/blkperf.sh [options]
#     --build DIR    the build to measure (default: build)
#     --secs N       seconds per job and side (default: 3)
#     --rounds N     rounds of the whole list (default: 1)
#     --jobs LIST    a comma-separated subset of the job names below
#     --modes LIST   direct,buffered (default: both)
#     --out DIR      where blkperf.csv and blkperf.svg go (default:
#                    bench/results)
#     --perf         perf-record blkback during 4k-randread-qd32 (each
#                    mode) and print its top symbols
#     --copy         blkback copies through its bounce pages instead of
#                    doing the I/O in the guest's held pages
# BLKPERF_FIO_ARGS adds fio options to both sides (batching, say).
set -euo pipefail
cd "$(dirname "$0")/../.."

build=build secs=3 rounds=1 out=bench/results want_jobs="" modes="direct,buffered" perf=0 bbargs=()
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift ;;
	--secs) secs=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--jobs) want_jobs=$2; shift ;;
	--modes) modes=$2; shift ;;
	--out) out=$2; shift ;;
	--perf) perf=1 ;;
	--copy) bbargs+=(--copy) ;;
	-h|--help) usage; exit 0 ;;
	*) echo "blkperf: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
for n in "$secs" "$rounds"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "blkperf: '$n' is not a positive whole number" >&2; exit 2; }
done
for exe in hv-stub/hv-stub tools/hvctl blkback/blkback tools/fio/splitdrv-fio.so; do
	[ -e "$build/$exe" ] || { echo "blkperf: $build/$exe is missing: build first (meson compile -C $build)" >&2; exit 1; }
done
for tool in fio bc gnuplot; do
	command -v $tool > /dev/null || { echo "blkperf: $tool is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done

# name: fio options.  The issue's list: 4 KiB random at depths 1, 32 and
# 128, 128 KiB sequential at depth 32.
jobs=(
	"4k-randread-qd1:--rw=randread --bs=4k --iodepth=1"
	"4k-randread-qd32:--rw=randread --bs=4k --iodepth=32"
	"4k-randread-qd128:--rw=randread --bs=4k --iodepth=128"
	"4k-randwrite-qd1:--rw=randwrite --bs=4k --iodepth=1"
	"4k-randwrite-qd32:--rw=randwrite --bs=4k --iodepth=32"
	"4k-randwrite-qd128:--rw=randwrite --bs=4k --iodepth=128"
	"128k-read-qd32:--rw=read --bs=128k --iodepth=32"
	"128k-write-qd32:--rw=write --bs=128k --iodepth=32"
)
if [ -n "$want_jobs" ]; then
	picked=()
	for w in ${want_jobs//,/ }; do
		found=""
		for j in "${jobs[@]}"; do [ "${j%%:*}" = "$w" ] && picked+=("$j") && found=1; done
		[ -n "$found" ] || { echo "blkperf: no job '$w' (see --help for the list)" >&2; exit 2; }
	done
	jobs=("${picked[@]}")
fi
for m in ${modes//,/ }; do
	[ "$m" = direct ] || [ "$m" = buffered ] || { echo "blkperf: mode '$m' is neither direct nor buffered" >&2; exit 2; }
done

d=$(mktemp -d)
pids=()
img=""
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$d"; [ -z "$img" ] || rm -f "$img"' EXIT
. scripts/harness.sh
hvstub_up "$build" "$d" || exit 1
pids+=("$hvstub_pid")
# 128 MiB: fio's buffers for depth 128 of 128 KiB live in the guest.
"$build/tools/hvctl" create guest1 --id 1 --mem 128M > /dev/null
# Next to the build (a real disk), not in /tmp (which may be tmpfs).
img=$(realpath "$build")/blkperf-disk.img
echo "blkperf: writing a 1 GiB file of random data ($img)"
fallocate -l 1G "$img"
dd if=/dev/urandom of="$img" bs=1M count=1024 conv=notrunc,fsync status=none
"$build/tools/hvctl" block-attach 1 "$img" > /dev/null

# invalidate=0: the page-cache rounds use a warm cache on both sides
# (blkback's is its own; fio would drop the peer's before each job).
common=(--size=1G --time_based --runtime="$secs" --invalidate=0 --group_reporting
	--output-format=terse --terse-version=3 ${BLKPERF_FIO_ARGS:-})
# From fio's terse v3 line: IOPS and KiB/s of reads and writes together,
# and the CPU seconds fio used.
iops() { awk -F';' '{ print $8 + $49 }' <<< "$1"; }
kibs() { awk -F';' '{ print $7 + $48 }' <<< "$1"; }
fio_cpu() { awk -F';' -v s="$secs" '{ u=$88; y=$89; sub("%","",u); sub("%","",y); print (u + y) / 100 * s }' <<< "$1"; }
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }
calc() { echo "$1" | bc -l; }
start_blkback() { # [--buffered]
	"$build/blkback/blkback" "${bbargs[@]}" "$@" > "$d/bb.log" 2>&1 &
	bb=$!
	pids+=($bb)
	sleep 0.3
}
stop_blkback() { kill "$bb"; wait "$bb" || true; }

mkdir -p "$out"
csv_tmp=$d/blkperf.csv
echo "section,workload,metric,splitdrv,peer,peer_value,ratio,lower_is_better,splitdrv_mib_s,peer_mib_s,splitdrv_cpu_us_per_io,peer_cpu_us_per_io" > "$csv_tmp"
total=$(( ${#jobs[@]} * rounds * $(wc -w <<< "${modes//,/ }") ))
done_jobs=0
printf '%-9s %-19s %-3s %10s %10s %7s %9s %9s %8s %8s\n' mode job rnd splitdrv io_uring ratio \
	"MiB/s us" "MiB/s io" "us/io us" "us/io io"
for mode in ${modes//,/ }; do
	if [ "$mode" = direct ]; then start_blkback; direct=1; section="O_DIRECT"
	else
		# Warm: the whole file in the page cache before either side.
		dd if="$img" of=/dev/null bs=1M status=none
		start_blkback --buffered; direct=0; section="page cache"
	fi
	for r in $(seq "$rounds"); do
		for j in "${jobs[@]}"; do
			name=${j%%:*}
			read -ra opts <<< "${j#*:}"
			order="ours peer"
			(( (r + done_jobs) % 2 )) || order="peer ours"
			for who in $order; do
				if [ $who = ours ]; then
					prec=""
					if [ $perf = 1 ] && [ "$name" = 4k-randread-qd32 ] && [ "$r" = 1 ]; then
						perf record -q -p "$bb" -o "$d/perf-$mode.data" -- sleep "$secs" > /dev/null 2>&1 &
						prec=$!
					fi
					before=$(proc_cpu "$bb")
					res=$(fio --name=s --ioengine=external:"$build/tools/fio/splitdrv-fio.so" \
						--domid=1 "${opts[@]}" "${common[@]}")
					ours_cpu=$(calc "$(fio_cpu "$res") + $(proc_cpu "$bb") - $before")
					ours=$(iops "$res") ours_kib=$(kibs "$res")
					[ -z "$prec" ] || wait "$prec" || true
				else
					res=$(fio --name=p --ioengine=io_uring --filename="$img" \
						--direct=$direct "${opts[@]}" "${common[@]}")
					peer_cpu=$(fio_cpu "$res")
					peer=$(iops "$res") peer_kib=$(kibs "$res")
				fi
			done
			done_jobs=$((done_jobs + 1))
			ratio=$(calc "$ours / $peer")
			ours_us=$(calc "$ours_cpu * 1000000 / ($ours * $secs)")
			peer_us=$(calc "$peer_cpu * 1000000 / ($peer * $secs)")
			printf '%-9s %-19s %-3s %10.0f %10.0f %6.2fx %9.0f %9.0f %8.2f %8.2f   [%d/%d]\n' \
				"$mode" "$name" "$r" "$ours" "$peer" "$ratio" \
				"$(calc "$ours_kib / 1024")" "$(calc "$peer_kib / 1024")" \
				"$ours_us" "$peer_us" "$done_jobs" "$total"
			printf '%s,%s round %s,K IOPS,%.3f,fio io_uring,%.3f,%.4f,0,%.1f,%.1f,%.3f,%.3f\n' \
				"$section" "$name" "$r" "$(calc "$ours / 1000")" "$(calc "$peer / 1000")" "$ratio" \
				"$(calc "$ours_kib / 1024")" "$(calc "$peer_kib / 1024")" "$ours_us" "$peer_us" >> "$csv_tmp"
		done
	done
	stop_blkback
	if [ -f "$d/perf-$mode.data" ]; then
		echo "perf: blkback's top symbols during 4k-randread-qd32 ($mode):"
		{ perf report -i "$d/perf-$mode.data" --sort symbol --stdio 2> /dev/null || true; } |
			grep -E '^ +[0-9]' | head -15 | sed 's/^/  /' || true
	fi
done
mv "$csv_tmp" "$out/blkperf.csv"
echo "blkperf: wrote $out/blkperf.csv"

tail -n +2 "$out/blkperf.csv" | awk -F, '{ printf "%s\t%s: %s, %s us/io vs %s\n", $7, $1, $2, $11, $12 }' > "$d/plot.tsv"
plot_ratios "$d/plot.tsv" "$out/blkperf.svg" \
	"blkperf: fio through blkfront -> blkback against fio's io_uring engine on the same file, same run (label: CPU per I/O, splitdrv vs io_uring)" \
	'IOPS ratio against fio io_uring (log scale; > 1: splitdrv faster)'
echo "blkperf: wrote $out/blkperf.svg"

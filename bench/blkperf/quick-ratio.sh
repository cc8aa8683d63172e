#!/usr/bin/env bash
# A first, quick ratio for the block path (bench/blkperf proper, with its
# job list, CSV and plot, is still to come): the same fio job, 4 KiB
# random reads at depth 32 on the same file, run alternately through
# blkfront -> blkback (splitdrv's fio engine) and straight on the file
# with fio's io_uring engine (the peer), with O_DIRECT and through the
# page cache.  Prints IOPS, splitdrv's ratio to the peer, and the CPU each
# spent per I/O (splitdrv: the guest's fio and blkback together; they run
# as two processes, so on two vCPUs they can pipeline where the peer's one
# process cannot: compare the CPU too).
#   bench/blkperf/quick-ratio.sh [BUILD_DIR] [SECONDS] [ROUNDS]
# BLKPERF_FIO_ARGS adds fio options to both sides' job (batching, say).
set -euo pipefail
build=${1:-build}
secs=${2:-5}
rounds=${3:-2}
d=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$d"' EXIT
"$build/hv-stub/hv-stub" --socket "$d/hv.sock" --dom0-mem 64M \
	--xenstored "$build/xenstore/daemon/sdrv-xenstored" --xenstore "$d/xs.sock" 2> "$d/hv.log" &
pids+=($!)
for _ in $(seq 200); do [ -S "$d/xs.sock" ] && break; sleep 0.05; done
export HVSTUB_SOCKET=$d/hv.sock XENSTORED_PATH=$d/xs.sock
"$build/tools/hvctl" create guest1 --id 1 --mem 64M > /dev/null
# Next to the build (a real disk), not in /tmp (which may be tmpfs).
img=$(realpath "$build")/blkperf-disk.img
fallocate -l 1G "$img"
dd if=/dev/urandom of="$img" bs=1M count=1024 conv=notrunc,fsync status=none
"$build/tools/hvctl" block-attach 1 "$img" > /dev/null
# invalidate=0: the page-cache rounds read a warm cache on both sides
# (blkback's cache is its own; fio would drop the peer's before each job).
job=(--rw=randread --bs=4k --iodepth=32 --size=1G --time_based --runtime="$secs"
	--invalidate=0 --group_reporting --output-format=terse --terse-version=3
	${BLKPERF_FIO_ARGS:-})
# From fio's terse v3 line: read IOPS, and the CPU seconds it used.
iops() { cut -d';' -f8 <<< "$1"; }
fio_cpu() { awk -F';' -v s="$secs" '{ u=$88; y=$89; sub("%","",u); sub("%","",y); print (u + y) / 100 * s }' <<< "$1"; }
# A process's CPU seconds so far (utime + stime).
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }
us_per_io() { echo "$1 * 1000000 / ($2 * $secs)" | bc -l; }
start_blkback() { # [--buffered]
	"$build/blkback/blkback" "$@" > "$d/bb.log" 2>&1 &
	bb=$!
	sleep 0.3
}
stop_blkback() { kill "$bb"; wait "$bb" || true; }
printf '%-10s %-5s %10s %10s %7s %14s %14s\n' mode round splitdrv io_uring ratio \
	"splitdrv us/io" "io_uring us/io"
for mode in direct buffered; do
	if [ $mode = direct ]; then start_blkback; direct=1; else start_blkback --buffered; direct=0; fi
	for r in $(seq "$rounds"); do
		# Alternate which goes first: the disk and the vCPUs drift.
		for who in $( ((r % 2)) && echo "ours peer" || echo "peer ours"); do
			if [ $who = ours ]; then
				before=$(proc_cpu "$bb")
				out=$(fio --name=s --ioengine=external:"$build/tools/fio/splitdrv-fio.so" \
					--domid=1 "${job[@]}")
				ours=$(iops "$out")
				ours_cpu=$(echo "$(fio_cpu "$out") + $(proc_cpu "$bb") - $before" | bc -l)
			else
				out=$(fio --name=p --ioengine=io_uring --filename="$img" \
					--direct=$direct "${job[@]}")
				peer=$(iops "$out")
				peer_cpu=$(fio_cpu "$out")
			fi
		done
		printf '%-10s %-5s %10s %10s %6.2fx %14.2f %14.2f\n' $mode "$r" "$ours" "$peer" \
			"$(echo "$ours / $peer" | bc -l)" "$(us_per_io "$ours_cpu" "$ours")" \
			"$(us_per_io "$peer_cpu" "$peer")"
	done
	stop_blkback
done
rm -f "$img"

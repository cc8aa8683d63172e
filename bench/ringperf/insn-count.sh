#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/ringperf/insn-count.sh - instructions per round trip over a 1-page
# ring, each implementation (libring, libring spans, Xen's ring.h macros)
# on each slot type, counted by valgrind --tool=callgrind on
# ringperf-insn's lock-step loops.  A count does not swing with the host
# as timings do: it says what each data path costs, waits aside.
#
#   bench/ringperf/insn-count.sh [BUILD_DIR]   (default: build)
set -euo pipefail

build=${1:-build}
prog=$build/bench/ringperf-insn
[ -x "$prog" ] || { echo "insn-count: $prog not built (ninja -C $build)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "insn-count: valgrind is not installed" >&2; exit 1; }
rounds=2000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '%-10s %14s %14s %14s %10s %10s\n' workload libring spans "Xen ring.h" "lib/Xen" "spans/Xen"
for w in 64B blkif netif-tx; do
	declare -A per=()
	for impl in libring spans xen; do
		out=$tmp/$w-$impl.out
		valgrind --tool=callgrind --callgrind-out-file="$out" \
			--toggle-collect='*_insn_*' "$prog" "$w" "$impl" "$rounds" \
			>"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
		trips=$(grep -o '[0-9]* round trips' "$tmp/log" | cut -d' ' -f1)
		ir=$(grep '^summary:' "$out" | awk '{print $2}')
		per[$impl]=$(awk -v ir="$ir" -v n="$trips" 'BEGIN { printf "%.1f", ir / n }')
	done
	printf '%-10s %14s %14s %14s %9.2fx %9.2fx\n' "$w" "${per[libring]}" \
		"${per[spans]}" "${per[xen]}" \
		"$(awk -v a="${per[libring]}" -v b="${per[xen]}" 'BEGIN { print a / b }')" \
		"$(awk -v a="${per[spans]}" -v b="${per[xen]}" 'BEGIN { print a / b }')"
	unset per
done
echo "(instructions per round trip; below 1.00x: fewer than Xen's macros)"

# Sourced by the test, benchmark and package scripts: what they share.
# Each function says what it sets; none exits the caller.

# hvstub_up BUILD DIR: hv-stub with its XenStore daemon (sdrv-xenstored),
# sockets in DIR, its log DIR/hv.log.  Sets hvstub_pid; exports
# HVSTUB_SOCKET and XENSTORED_PATH.  Returns 1, saying so, when XenStore's
# socket does not appear within 10 s.
hvstub_up() {
	"$1/hv-stub/hv-stub" --socket "$2/hv.sock" --dom0-mem 64M \
		--xenstored "$1/xenstore/daemon/sdrv-xenstored" --xenstore "$2/xs.sock" 2> "$2/hv.log" &
	hvstub_pid=$!
	for _ in $(seq 200); do [ -S "$2/xs.sock" ] && break; sleep 0.05; done
	export HVSTUB_SOCKET=$2/hv.sock XENSTORED_PATH=$2/xs.sock
	[ -S "$2/xs.sock" ] || { echo "hv-stub did not start XenStore (see $2/hv.log)" >&2; return 1; }
}

# sanitizer_preload SO: sets sanitizer_preload to the sanitizer runtimes SO
# was built with (empty when none), for LD_PRELOAD into a program that was
# not built with them (fio, dpdk-testpmd) and loads SO.
sanitizer_preload() {
	sanitizer_preload=""
	for lib in asan ubsan; do
		if ldd "$1" | grep -q "lib$lib"; then
			sanitizer_preload="$sanitizer_preload $(gcc -print-file-name=lib$lib.so)"
		fi
	done
}

# DPDK refuses to load a plugin (-d) from a directory that is, or is
# inside, a world-writable one ("directory path /tmp is world-writable and
# insecure"): a build tree under /tmp cannot be loaded from.  dpdk_plugin
# SO copies the driver into a fresh directory under /run (root's) and sets
# dpdk_plugin_path to the copy (call it as a command, not in a subshell);
# the copy finds libsplitdrv through LD_LIBRARY_PATH, which it extends
# with the build's library directory.  dpdk_plugin_cleanup removes the
# copies.
dpdk_plugin_dirs=()
dpdk_plugin() { # SO
	local dir lib
	dir=$(mktemp -d /run/splitdrv-dpdk.XXXXXX) || return 1
	chmod 0755 "$dir"
	cp "$1" "$dir/" || return 1
	dpdk_plugin_dirs+=("$dir")
	# The build tree's library (its own rpath is relative to its place).
	lib=$(dirname "$(dirname "$(dirname "$(realpath "$1")")")")
	[ -e "$lib/libsplitdrv.so" ] && export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	dpdk_plugin_path=$dir/$(basename "$1")
}
dpdk_plugin_cleanup() {
	[ ${#dpdk_plugin_dirs[@]} -eq 0 ] || rm -rf "${dpdk_plugin_dirs[@]}"
}

# plot_ratios TSV SVG TITLE XLABEL: a bar per row of TSV (ratio TAB label)
# from 1 to its ratio on a log scale, the ratio printed at each bar (right
# of the red line splitdrv is faster), into SVG.
plot_ratios() {
	local n
	n=$(wc -l < "$1")
	gnuplot <<EOF2
set terminal svg size 1300,$((100 + 24 * n)) dynamic font 'sans,11' noenhanced background rgb 'white'
set output '$2'
set title "$3"
set datafile separator '\t'
set style fill solid 0.8
set xlabel '$4'
set logscale x
set xrange [0.05:20]
set ytics scale 0
set grid xtics
set key off
set lmargin 80
set yrange [$n - 0.4:-0.6]
set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb 'red'
plot '$1' using 1:0:(\$1 < 1 ? \$1 : 1):(\$1 < 1 ? 1 : \$1):(\$0 - 0.4):(\$0 + 0.4):ytic(2) with boxxyerror lc rgb '#4a7fb0', \
	'' using (\$1 < 1 ? 1 : \$1):0:(sprintf(' %.2fx', \$1)) with labels left font 'sans,9'
EOF2
}

# world_cleanup DIR NAMESPACE...: what a script started goes, at its exit:
# every process in the array pids (killed and waited for), the network
# namespaces, and DIR.  For `trap ... EXIT`.
world_cleanup() {
	local dir=$1 p ns
	shift
	for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
	wait 2> /dev/null
	for ns in "$@"; do ip netns del "$ns" 2> /dev/null; done
	rm -rf "$dir"
}

# guests_up BUILD MEM: guest domains 1 and 2 of MEM each (hvctl create),
# each with a vif to dom0 (hvctl network-attach).  Returns 1, saying which
# step failed, at the first that does.
guests_up() {
	local id
	for id in 1 2; do
		"$1/tools/hvctl" create "guest$id" --id $id --mem "$2" > /dev/null ||
			{ echo "hvctl create guest$id failed" >&2; return 1; }
		"$1/tools/hvctl" network-attach $id > /dev/null ||
			{ echo "hvctl network-attach $id failed" >&2; return 1; }
	done
}

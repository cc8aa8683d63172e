#!/usr/bin/env bash
# Run Xen's own C xenstored (Debian's xen-utils-4.17) without a hypervisor,
# on a private socket, as a peer for benchmarks and conformance checks.
# xenstored-nohv.so (built by meson next to this script's build output)
# answers the few hypervisor calls the daemon makes at start; clients talk
# to it over its Unix socket only.
#
#   xen-xenstored.sh start SHIM_SO DIR [xenstored options...]
#       starts it, waits until it answers, prints DIR/socket
#   xen-xenstored.sh stop DIR
#       stops the daemon this script started for DIR (and only it)
#
# Clients: XENSTORED_PATH=DIR/socket xenstore-ls /
set -euo pipefail
xen_bin=${XEN_BIN:-/usr/lib/xen-4.17/bin}

fail() { echo "xen-xenstored: $*" >&2; exit 1; }

case ${1:-} in
start)
	shim=${2:?start needs SHIM_SO DIR}
	dir=${3:?start needs SHIM_SO DIR}
	shift 3
	[ -x "$xen_bin/xenstored" ] ||
		fail "$xen_bin/xenstored not found (apt-get install xen-utils-4.17)"
	[ -f "$shim" ] || fail "$shim not found (build splitdrv with the Xen headers)"
	command -v xenstore-exists >/dev/null ||
		fail "xenstore-exists not found (apt-get install xenstore-utils)"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ -f "$dir/xenstored.pid" ] && kill -0 "$(cat "$dir/xenstored.pid")" 2>/dev/null; then
		fail "$dir: a xenstored started here still runs (pid $(cat "$dir/xenstored.pid"))"
	fi
	rm -f "$dir/socket" "$dir/xsd_kva"
	# domain 0's ring page and port (the shim's stand-ins for /proc/xen)
	truncate -s 4096 "$dir/xsd_kva"
	printf 1 > "$dir/xsd_port"
	# -N: stay in the foreground
	XEN_XENSTORED_DIR=$dir XENSTORED_RUNDIR=$dir XENSTORED_PATH=$dir/socket \
		LD_PRELOAD=$shim setsid "$xen_bin/xenstored" -N "$@" \
		< /dev/null > "$dir/xenstored.log" 2>&1 &
	pid=$!
	echo "$pid" > "$dir/xenstored.pid"
	for _ in $(seq 200); do
		if [ -S "$dir/socket" ] &&
			XENSTORED_PATH=$dir/socket timeout 2 xenstore-exists / 2>/dev/null; then
			echo "$dir/socket"
			exit 0
		fi
		kill -0 "$pid" 2>/dev/null ||
			fail "xenstored exited at start: $(tail -n 3 "$dir/xenstored.log" | tr '\n' ' ')"
		sleep 0.05
	done
	kill "$pid" 2>/dev/null || true
	fail "xenstored did not answer on $dir/socket within 10 s"
	;;
stop)
	dir=${2:?stop needs DIR}
	[ -f "$dir/xenstored.pid" ] || exit 0
	pid=$(cat "$dir/xenstored.pid")
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/xenstored.pid"
	;;
*)
	echo "usage: xen-xenstored.sh start SHIM_SO DIR [xenstored options...] | stop DIR" >&2
	exit 2
	;;
esac

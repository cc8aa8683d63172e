#!/usr/bin/env bash
# The main job: install what is missing, build (release), and show data moving
# through the split-driver ring: the interop demo (Xen's own ring macros
# against libring, in two processes), hv-stub running a guest domain, then
# the quick runs of ringperf and hvperf.  Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

if [ -f build/build.ninja ]; then
	meson configure build -Dbuildtype=release >/dev/null
else
	meson setup build -Dbuildtype=release >/dev/null
fi
meson compile -C build >/dev/null

echo "== Interop: Xen's ring.h macros and libring, front and back in two processes"
build/tools/ring-demo 2000000
echo
echo "== hv-stub: a guest domain created, inspected and destroyed with hvctl"
hvdir=$(mktemp -d)
build/hv-stub/hv-stub --socket "$hvdir/hv-stub.sock" --dom0-mem 16M 2> "$hvdir/log" &
hvpid=$!
trap 'kill $hvpid 2>/dev/null || true; rm -rf "$hvdir"' EXIT
for _ in $(seq 100); do [ -S "$hvdir/hv-stub.sock" ] && break; sleep 0.05; done
export HVSTUB_SOCKET="$hvdir/hv-stub.sock"
build/tools/hvctl create guest1 --id 1 --mem 8M
build/tools/hvctl list
build/tools/hvctl show 1
build/tools/hvctl destroy 1
kill $hvpid
wait $hvpid || true
echo "hv-stub's log:"; sed 's/^/  /' "$hvdir/log"
echo
echo "== sdrv-xenstored: Debian's xenstore-utils and Xen's test-xenstore against our daemon"
xsdir=$(mktemp -d)
build/xenstore/daemon/sdrv-xenstored --socket "$xsdir/socket" &
xspid=$!
trap 'kill $hvpid $xspid 2>/dev/null || true; rm -rf "$hvdir" "$xsdir"' EXIT
export XENSTORED_PATH="$xsdir/socket"
for _ in $(seq 100); do xenstore-exists / 2>/dev/null && break; sleep 0.05; done
xenstore-write /local/domain/0/backend/vif/1/0/state 4 /local/domain/1/device/vif/0/state 4
xenstore-chmod /local/domain/1/device/vif/0 n1 r0
xenstore-ls -fp /local
/usr/lib/xen-4.17/bin/test-xenstore
kill $xspid
wait $xspid || true
unset XENSTORED_PATH
if [ -x build/bench/xsperf ]; then
	echo
	echo "== xsperf --quick: sdrv-xenstored against Xen's C xenstored"
	build/bench/xsperf --quick --out build/bench-results || echo "xsperf: skipped (see above)"
fi
if [ -x build/bench/hvperf ]; then
	echo
	echo "== hvperf --quick: grant copy, map and event channels in both environments"
	build/bench/hvperf --quick --out build/bench-results
fi
if [ -x build/bench/ringperf ]; then
	echo
	echo "== ringperf --quick: libring against Xen's ring macros and DPDK's rte_ring"
	build/bench/ringperf --quick --out build/bench-results
fi

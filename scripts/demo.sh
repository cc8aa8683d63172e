#!/usr/bin/env bash
# The main job: install what is missing, build (release), and show data moving
# through the split drivers: the interop demo (Xen's own ring macros against
# libring, in two processes), hv-stub running XenStore and guest domains that
# talk to it over their rings, a guest's disk through blkfront and blkback
# with fio verifying it, two guests pinging each other through netfront and
# netback-dpdk, sdrv-xenstored under Xen's own clients, then the
# quick runs of the benchmarks.  Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

if [ -f build/build.ninja ]; then
	meson configure build -Dbuildtype=release >/dev/null
else
	meson setup build -Dbuildtype=release >/dev/null
fi
meson compile -C build >/dev/null

# Background processes, network namespaces and scratch folders, gone at
# exit whatever happens.
pids=()
dirs=()
netns=()
. scripts/harness.sh
cleanup() {
	kill "${pids[@]}" 2>/dev/null || true
	sleep 0.2
	for n in "${netns[@]}"; do ip netns del "$n" 2>/dev/null || true; done
	rm -rf "${dirs[@]}"
	dpdk_plugin_cleanup
}
trap cleanup EXIT
scratch() { # VAR: a fresh folder into VAR, removed at exit
	local d
	d=$(mktemp -d)
	dirs+=("$d")
	printf -v "$1" %s "$d"
}
# hv-stub running XenStore, its sockets in folder $1, dom0 of $2 bytes:
# sets hvpid, and points hvctl, the guests and xenstore-* at it.
start_hvstub() {
	build/hv-stub/hv-stub --socket "$1/hv-stub.sock" --dom0-mem "$2" \
		--xenstored build/xenstore/daemon/sdrv-xenstored --xenstore "$1/xenstored.sock" \
		2> "$1/log" &
	hvpid=$!
	pids+=("$hvpid")
	for _ in $(seq 200); do [ -S "$1/xenstored.sock" ] && break; sleep 0.05; done
	export HVSTUB_SOCKET="$1/hv-stub.sock" XENSTORED_PATH="$1/xenstored.sock"
}

echo "== Interop: Xen's ring.h macros and libring, front and back in two processes"
build/tools/ring-demo 2000000
echo
echo "== hv-stub: guest domains created with hvctl, introduced to XenStore (run by hv-stub),"
echo "   talking to it over their ring pages, then destroyed and released"
scratch hvdir
start_hvstub "$hvdir" 16M
build/tools/hvctl create guest1 --id 1 --mem 8M
build/tools/hvctl create guest2 --id 2 --mem 8M
xenstore-watch -n 2 /local/domain/1/data > "$hvdir/watch" &
watchpid=$!
sleep 0.3
echo "domain 1, over its ring: writes, reads back, lists; may not write domain 2's home:"
build/tools/xs-guest 2 watch /local/domain/2/ready 2 read /local/domain/2/ready \
	read /local/domain/1/data/greeting > "$hvdir/guest2" 2>&1 &
guest2=$!
sleep 0.3
build/tools/xs-guest 1 write data/greeting "hello from domain 1" read data/greeting ls data \
	write /local/domain/2/ready yes || true
xenstore-write /local/domain/2/ready "from dom0"
wait $guest2 || true
echo "domain 2, over its ring: waited for its key (set by dom0); may not read domain 1's home:"; sed 's/^/  /' "$hvdir/guest2"
wait $watchpid; echo "dom0 watched /local/domain/1/data over the socket:"; sed 's/^/  /' "$hvdir/watch"
build/tools/hvctl create guest3 --id 3 --mem 8M
build/tools/hvctl list
echo "domain 3's home, made by hv-stub as libxl would, and its ring grant and port:"
xenstore-ls -fp /local/domain/3
build/tools/hvctl show 3
build/tools/hvctl destroy 3
echo "after destroy 3: domains 1 and 2 live on after their processes let go (Xen's model);"
echo "a new process picks domain 1 up where the last one left it, then shuts it down:"
xenstore-ls -f /local/domain
build/tools/xs-guest --shutdown 1 read data/greeting
build/tools/hvctl destroy 2
echo "after domain 1 shut down and domain 2 was destroyed:"
build/tools/hvctl list
xenstore-ls -f /local/domain
kill $hvpid
wait $hvpid || true
unset XENSTORED_PATH
echo "hv-stub's log:"; sed 's/^/  /' "$hvdir/log"
echo
echo "== The block path: hv-stub, blkback on io_uring, a guest's disk through blkfront, fio verifying it"
scratch blkdir
start_hvstub "$blkdir" 64M
build/tools/hvctl create guest1 --id 1 --mem 64M
truncate -s 256M "$blkdir/disk.img"
build/tools/hvctl block-attach 1 "$blkdir/disk.img"
build/blkback/blkback --verbose > "$blkdir/blkback.out" 2>&1 &
blkpid=$!
pids+=("$blkpid")
echo "the handshake in XenStore (backend side):"
sleep 0.3
xenstore-ls -f /local/domain/0/backend/vbd | sed 's/^/  /'
echo "fio (Debian's), its job in guest domain 1: 4 KiB random writes at depth 32, crc32c-verified,"
echo "through blkfront -> shared ring -> blkback -> io_uring (O_DIRECT) on $blkdir/disk.img:"
fio --name=guest-verify --ioengine=external:build/tools/fio/splitdrv-fio.so --domid=1 \
	--rw=randwrite --bs=4k --size=64M --iodepth=32 --verify=crc32c --do_verify=1 \
	--verify_fatal=1 --verify_state_save=0 --group_reporting 2>&1 | grep -E "^ *(read|write):|err=|Run status|verify" | sed 's/^/  /'
echo "blk-guest: an old-style frontend (one ring page, 11 segments) writes and checks 32 KiB blocks:"
build/tools/blk-guest 1 --no-features --bs 32k --count 256 | sed 's/^/  /'
kill -TERM $blkpid; wait $blkpid || true
echo "blkback's log and its counters at exit:"; sed 's/^/  /' "$blkdir/blkback.out"
kill $hvpid; wait $hvpid || true
unset HVSTUB_SOCKET XENSTORED_PATH
echo

echo "== The network path: netback-dpdk switching two guests' netfronts, ping between network namespaces,"
echo "   then dpdk-testpmd in both guests through the net_netfront driver"
scratch netdir
start_hvstub "$netdir" 64M
ns1=sdrv-demo1 ns2=sdrv-demo2 guestpids=()
for id in 1 2; do
	build/tools/hvctl create guest$id --id $id --mem 32M
	build/tools/hvctl network-attach $id
done
build/netback/netback-dpdk --no-huge --no-pci -m 256 --log-level=error --file-prefix demo \
	-- --verbose > "$netdir/netback.out" 2> "$netdir/netback.err" &
nbpid=$!
pids+=("$nbpid")
sleep 1
for id in 1 2; do
	ns=sdrv-demo$id
	ip netns del $ns 2>/dev/null || true # left by an interrupted run
	ip netns add $ns
	netns+=($ns)
	ip netns exec $ns build/tools/net-guest $id > "$netdir/guest$id.out" 2>&1 &
	pids+=($!)
	guestpids+=($!)
done
for id in 1 2; do
	for _ in $(seq 100); do ip netns exec sdrv-demo$id ip link show vif$id.0 > /dev/null 2>&1 && break; sleep 0.05; done
	ip netns exec sdrv-demo$id ip addr add 10.78.0.$id/24 dev vif$id.0
	sed 's/^/  /' "$netdir/guest$id.out"
done
echo "ping from namespace $ns1 (guest 1, 10.78.0.1) to $ns2 (guest 2, 10.78.0.2),"
echo "through TAP -> netfront -> shared rings -> netback-dpdk -> shared rings -> netfront -> TAP:"
ip netns exec $ns1 ping -c 4 -i 0.2 -W 2 10.78.0.2 | sed 's/^/  /'
# The same two guests again, now as DPDK programs: the guests' TAP
# programs close their vifs, and dpdk-testpmd with the net_netfront driver
# becomes each guest (guest 1 sends 64-byte frames, guest 2 counts them).
for g in "${guestpids[@]}"; do kill -INT "$g"; wait "$g" || true; done
dpdk_plugin build/netfront/dpdk/librte_net_netfront.so
echo "dpdk-testpmd in guest 2 (rxonly) and guest 1 (txonly) through net_netfront, 3 s:"
testpmd_guest() { # ID MODE LCORES
	dpdk-testpmd -l "$3" --no-huge --no-pci -m 128 --log-level=error --file-prefix "demo$1" \
		-d "$dpdk_plugin_path" --vdev "net_netfront0,domid=$1" -- --nb-cores=1 \
		--forward-mode="$2" --total-num-mbufs=4096 --stats-period 600 \
		< /dev/null > "$netdir/testpmd$1.out" 2>&1 &
	pids+=($!)
}
testpmd_guest 2 rxonly 1,0
rx_pmd=$!
sleep 1.5
testpmd_guest 1 txonly 0,1
tx_pmd=$!
sleep 4
echo "netback-dpdk's counters for them, through DPDK's telemetry (dpdk-telemetry.py):"
printf '/netback/vif,vif1_0\n/netback/vif,vif2_0\n' | dpdk-telemetry.py -f demo 2>&1 |
	grep '^{' | sed 's/^/  /'
kill -INT $tx_pmd; wait $tx_pmd || true
sleep 0.5
kill -INT $rx_pmd; wait $rx_pmd || true
for id in 1 2; do
	echo "guest $id's testpmd at exit:"
	grep -A3 "Accumulated forward statistics" "$netdir/testpmd$id.out" | sed 's/^/  /'
done
echo "(three polling processes share this machine's two vCPUs: guest 2 polls only in its"
echo " slices of one, so most of guest 1's frames find it out of buffers: \"starved\")"
kill -INT $nbpid; wait $nbpid || true
echo "netback-dpdk's log and its counters at exit:"
sed 's/^/  /' "$netdir/netback.err" "$netdir/netback.out"
kill $hvpid; wait $hvpid || true
unset HVSTUB_SOCKET XENSTORED_PATH
echo

echo "== sdrv-xenstored: Debian's xenstore-utils and Xen's test-xenstore against our daemon"
scratch xsdir
build/xenstore/daemon/sdrv-xenstored --socket "$xsdir/socket" &
xspid=$!
pids+=("$xspid")
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
	build/bench/xsperf --quick --out build/bench-results
fi
if [ -x build/bench/hvperf ]; then
	echo
	echo "== hvperf --quick: grant copy, map and event channels in-process, through a backend's views and doorbells, and through hv-stub's checked messages"
	build/bench/hvperf --quick --out build/bench-results
fi
if [ -x build/bench/ringperf ]; then
	echo
	echo "== ringperf --quick: libring against Xen's ring macros and DPDK's rte_ring"
	build/bench/ringperf --quick --out build/bench-results
fi

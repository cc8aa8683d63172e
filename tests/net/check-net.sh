#!/usr/bin/env bash
# The network path end to end, with real components: hv-stub runs XenStore
# and two guest process domains; hvctl gives each a vif; netback-dpdk
# (DPDK with --no-huge --no-pci, a net_tap uplink into this namespace)
# switches between them; each guest's net-guest bridges its netfront to a
# TAP device in its own network namespace, where ping and iperf3 (Debian's)
# run.  Needs root (namespaces, TAP devices).
#   check-net.sh BUILD_DIR
set -u
build=$1
d=$(mktemp -d)
ns1=sdrv-t$$-1 ns2=sdrv-t$$-2 up=sdrv-up$$
pass=0
fail=0
pids=()
. "$(dirname "$0")/../../scripts/harness.sh"
trap 'world_cleanup "$d" "$ns1" "$ns2"' EXIT
ok() { echo "ok: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (network namespaces and TAP devices)"; exit 1; }
for tool in ping iperf3; do
	command -v $tool > /dev/null || { echo "FAIL: $tool is not installed (scripts/install-deps.sh)"; exit 1; }
done
[ -x "$build/netback/netback-dpdk" ] || { echo "FAIL: $build/netback/netback-dpdk not built (DPDK missing?)"; exit 1; }

hvstub_up "$build" "$d" || { echo "FAIL: hv-stub"; exit 1; }
pids+=("$hvstub_pid")
guests_up "$build" 32M || bad "guests 1 and 2, a vif each"
start_netback() {
	"$build/netback/netback-dpdk" --no-huge --no-pci -m 256 --log-level=error \
		--file-prefix "nb$$" --vdev "net_tap0,iface=$up" -- --verbose \
		>> "$d/nb.out" 2>> "$d/nb.err" &
	nb=$!
	pids+=($nb)
	for _ in $(seq 100); do ip link show "$up" > /dev/null 2>&1 && break; sleep 0.05; done
	ip addr add 10.77.0.254/24 dev "$up" && ip link set "$up" up || bad "the uplink TAP $up"
}
start_netback
ip netns add "$ns1" && ip netns add "$ns2" || { bad "network namespaces"; exit 1; }
for id in 1 2; do
	ns=$([ $id = 1 ] && echo "$ns1" || echo "$ns2")
	# Guest 1 asks for two queues (netback-dpdk has two lcores: one
	# each); guest 2 has one.
	ip netns exec "$ns" "$build/tools/net-guest" --queues $((3 - id)) $id > "$d/g$id.out" 2>&1 &
	pids+=($!)
	[ $id = 1 ] && guest1=$! || guest2=$!
done
for id in 1 2; do
	ns=$([ $id = 1 ] && echo "$ns1" || echo "$ns2")
	for _ in $(seq 100); do ip netns exec "$ns" ip link show vif$id.0 > /dev/null 2>&1 && break; sleep 0.05; done
	ip netns exec "$ns" ip addr add 10.77.0.$id/24 dev vif$id.0 || bad "guest $id's TAP"
done

grep -q "on TAP vif1.0, 2 queues" "$d/g1.out" &&
	ok "guest 1's netfront has two queues (one per netback-dpdk lcore), guest 2's one" ||
	{ bad "guest 1's queues:"; cat "$d/g1.out"; }
ip netns exec "$ns1" ping -c 3 -i 0.2 -W 2 10.77.0.2 > "$d/ping12" 2>&1 &&
	ok "ping guest 1 -> guest 2 through netfront, netback-dpdk, netfront" ||
	{ bad "ping 1 -> 2:"; cat "$d/ping12"; }
ip netns exec "$ns2" ping -c 3 -i 0.2 -W 2 10.77.0.1 > "$d/ping21" 2>&1 &&
	ok "ping guest 2 -> guest 1" || { bad "ping 2 -> 1:"; cat "$d/ping21"; }
ping -c 3 -i 0.2 -W 2 10.77.0.1 > "$d/ping-up" 2>&1 &&
	ok "ping host -> guest 1 through the net_tap uplink" || { bad "ping host -> 1:"; cat "$d/ping-up"; }

# Jumbo frames: 9000-byte MTUs on both guests; 9000-byte pings, never
# fragmented, cross as frames of three slots each way (scatter-gather).
ip netns exec "$ns1" ip link set vif1.0 mtu 9000 && ip netns exec "$ns2" ip link set vif2.0 mtu 9000 ||
	bad "MTU 9000 on the guests' TAPs"
ip netns exec "$ns1" ping -c 3 -i 0.2 -W 2 -s 8972 -M do 10.77.0.2 > "$d/ping-jumbo" 2>&1 &&
	ok "9000-byte frames guest 1 -> guest 2 and back (scatter-gather, 3 slots a frame)" ||
	{ bad "jumbo ping 1 -> 2:"; cat "$d/ping-jumbo"; }
ip netns exec "$ns1" ip link set vif1.0 mtu 1500
ip netns exec "$ns2" ip link set vif2.0 mtu 1500

# iperf3: exactly 20 MB from guest 1 to guest 2; the receiver must count
# all of them.
ip netns exec "$ns2" iperf3 -s -1 -J > "$d/iperf-s.json" 2>&1 &
ips=$!
sleep 0.5
if ip netns exec "$ns1" timeout 60 iperf3 -c 10.77.0.2 -n 20M -J > "$d/iperf-c.json" 2>&1 &&
	wait $ips && grep -q '"bytes":[[:space:]]*20971520' "$d/iperf-s.json"; then
	ok "iperf3: 20 MiB guest 1 -> guest 2, all received"
else
	bad "iperf3:"; tail -20 "$d/iperf-c.json"
fi


# netback-dpdk killed with SIGKILL while guest 1 pings guest 2, and started
# again: both netfronts connect to the new one and the pings go on.
ip netns exec "$ns1" ping -c 60 -i 0.05 -W 1 10.77.0.2 > "$d/ping-kill" 2>&1 &
pinger=$!
sleep 1
kill -KILL $nb
wait $nb 2>/dev/null
sleep 0.3
start_netback
wait $pinger
if ip netns exec "$ns1" ping -c 3 -i 0.2 -W 2 10.77.0.2 > "$d/ping-after" 2>&1 &&
	ping -c 2 -i 0.2 -W 2 10.77.0.1 > "$d/ping-up-after" 2>&1; then
	ok "netback-dpdk killed (SIGKILL) under traffic and restarted: the guests reconnected, ping goes on ($(grep -o '[0-9]* received' "$d/ping-kill") of 60 across the restart)"
else
	bad "after netback's restart:"; cat "$d/ping-after" "$d/ping-up-after"
fi

# Guest 2's process killed in the middle of an iperf3 transfer to it: its
# domain goes (hv-stub destroys a crashed domain), netback lets go of its
# vif, and serves guest 1 on; the toolstack brings guest 2 back.
ip netns exec "$ns2" iperf3 -s -1 > /dev/null 2>&1 &
ips=$!
sleep 0.5
ip netns exec "$ns1" timeout 30 iperf3 -c 10.77.0.2 -t 10 > /dev/null 2>&1 &
ipc=$!
sleep 1
kill -KILL "$guest2"
wait "$guest2" 2>/dev/null
kill $ips $ipc 2>/dev/null
wait $ips $ipc 2>/dev/null
if ping -c 3 -i 0.2 -W 2 10.77.0.1 > "$d/ping-alone" 2>&1; then
	ok "guest 2 gone mid-transfer: guest 1 still served (host -> guest 1 ping)"
else
	bad "after guest 2 went:"; cat "$d/ping-alone"
fi
for _ in $(seq 100); do "$build/tools/hvctl" create guest2 --id 2 --mem 32M > /dev/null 2>&1 && break; sleep 0.05; done
"$build/tools/hvctl" network-attach 2 > /dev/null || bad "network-attach 2 again"
ip netns exec "$ns2" "$build/tools/net-guest" 2 > "$d/g2-again.out" 2>&1 &
guest2=$!
pids+=($guest2)
for _ in $(seq 100); do ip netns exec "$ns2" ip link show vif2.0 > /dev/null 2>&1 && break; sleep 0.05; done
ip netns exec "$ns2" ip addr add 10.77.0.2/24 dev vif2.0 2>/dev/null
ip netns exec "$ns1" ping -c 3 -i 0.2 -W 2 10.77.0.2 > "$d/ping-back" 2>&1 &&
	ok "guest 2 back: ping guest 1 -> guest 2 again" || { bad "guest 2 back:"; cat "$d/ping-back" "$d/g2-again.out"; }

# Frames of 1400 bytes leave netback-dpdk in the sender's page, not
# copied: to a guest, and to the uplink (net_tap copies what it sends).
# Counted at exit ("lent").
if ip netns exec "$ns1" ping -c 3 -i 0.2 -W 2 -s 1400 10.77.0.2 > "$d/ping-lent" 2>&1 &&
	ip netns exec "$ns1" ping -c 3 -i 0.2 -W 2 -s 1400 10.77.0.254 >> "$d/ping-lent" 2>&1; then
	ok "1400-byte pings guest 1 -> guest 2 and guest 1 -> host"
else
	bad "1400-byte pings:"; cat "$d/ping-lent"
fi

# Its telemetry lists the vifs, the one gone with guest 2's crash among
# them (its counters kept).
sleep 0.5
if echo /netback/vifs | timeout 20 dpdk-telemetry.py -f "nb$$" 2>&1 |
	grep -q '"/netback/vifs": \[.*vif2_0.*vif2_0'; then
	ok "telemetry lists guest 2's vif twice: the one gone with its crash, and the new one"
else
	bad "telemetry after guest 2's crash: $(echo /netback/vifs | timeout 20 dpdk-telemetry.py -f "nb$$" 2>&1 | tail -2)"
fi

# Idle, netback-dpdk sleeps on its event channels, XenStore and the
# uplink's receive interrupts: a busy-polling loop would burn the whole
# 2 s; allow a quarter of it.
hz=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$nb/stat"; }
before=$(cpu)
sleep 2
used=$(( $(cpu) - before ))
[ "$used" -lt $((hz / 2)) ] && ok "netback-dpdk idle: $used of $((2 * hz)) clock ticks of CPU in 2 s" ||
	bad "netback-dpdk busy while idle: $used of $((2 * hz)) clock ticks in 2 s"

kill -INT $nb
wait $nb
status=$?
[ $status -eq 0 ] && ok "netback-dpdk exits 0 on SIGINT" ||
	{ bad "netback-dpdk exit status $status:"; tail -5 "$d/nb.err"; }
kill -INT $guest1
wait $guest1
grep -q "the backend came back 1 time" "$d/g1.out" && ok "guest 1's netfront says the backend came back once" ||
	{ bad "guest 1's counters:"; cat "$d/g1.out"; }
# TSO through the TAP: the kernel handed net-guest frames beyond the MTU
# (GSO frames, cut by netback-dpdk for the uplink) and the 20 MiB of
# iperf3 went in far fewer frames than 1500-byte ones would take.
read -r sent_pk sent_by < <(sed -n 's/.*sent \([0-9]*\) packets \([0-9]*\) bytes.*/\1 \2/p' "$d/g1.out")
if grep -q "TSO and checksum offload" "$d/g1.out" && [ -n "${sent_pk:-}" ] &&
	[ "$sent_pk" -gt 0 ] && [ $((sent_by / sent_pk)) -gt 1514 ]; then
	ok "guest 1 sent GSO frames through its TAP (TSO): $sent_pk frames, $((sent_by / sent_pk)) bytes on average"
else
	bad "guest 1 sent no GSO frames: $(head -1 "$d/g1.out"); ${sent_pk:-?} frames, ${sent_by:-?} bytes"
fi
if grep -q "vif 1/0: from guest [1-9]" "$d/nb.out" && grep -q "port 0 (net_tap0): in [1-9]" "$d/nb.out"; then
	ok "counters at exit: per vif and per port"
else
	bad "counters:"; cat "$d/nb.out"
fi
if grep -q "vif 1/0: .* lent [1-9]" "$d/nb.out"; then
	ok "guest 1's large frames were lent on in its pages: $(grep -o "vif 1/0: .*" "$d/nb.out" | grep -o "lent [0-9]*")"
else
	bad "no frame of guest 1 lent: $(grep "vif 1/0:" "$d/nb.out")"
fi
grep -qi "sanitizer\|disabled" "$d/nb.err" && { bad "netback-dpdk's log:"; cat "$d/nb.err"; }
echo "net: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# The net_netfront poll-mode driver in dpdk-testpmd (Debian's), with real
# components: hv-stub runs XenStore and two guest process domains; each
# guest is a dpdk-testpmd that loads librte_net_netfront.so and drives its
# vif; netback-dpdk switches between them and a net_null port.
#   - against netback-dpdk --base-protocol the driver takes one event
#     channel; against the default, one per ring;
#   - guest 1 sends (txonly), guest 2 counts (rxonly): netback-dpdk took
#     what guest 1's testpmd says it sent, and delivered to guest 2 what
#     guest 2's testpmd says it received (each within a ring's worth, the
#     frames still on a ring at exit);
#   - netback-dpdk killed with SIGKILL under guest 1's traffic and started
#     again: the driver connects again and its frames flow again;
#   - DPDK's dpdk-telemetry.py reads netback-dpdk's per-vif counters;
#   - testpmd closes the vif at exit (XenStore says Closed);
#   - bad devargs, a domain that does not exist, a vif never attached:
#     testpmd fails with one line naming what is wrong.
#   check-pmd.sh BUILD_DIR
set -u
build=$1
d=$(mktemp -d)
pass=0
fail=0
pids=()
. "$(dirname "$0")/../../scripts/harness.sh"
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$d"
	dpdk_plugin_cleanup
}
trap cleanup EXIT
ok() { echo "ok: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }

pmd=$build/netfront/dpdk/librte_net_netfront.so
[ -f "$pmd" ] || { echo "FAIL: $pmd not built (scripts/install-deps.sh fetches DPDK's driver headers)"; exit 1; }
command -v dpdk-testpmd > /dev/null || { echo "FAIL: dpdk-testpmd is not installed (scripts/install-deps.sh)"; exit 1; }
dpdk_plugin "$pmd" || { echo "FAIL: cannot copy $pmd under /run (see scripts/harness.sh)"; exit 1; }
built=$pmd
pmd=$dpdk_plugin_path
# A sanitizer build's driver needs the sanitizer runtimes in testpmd too.
sanitizer_preload "$built"
preload=$sanitizer_preload
# testpmd's and DPDK's own allocations outlive its exit: LeakSanitizer
# would fail testpmd for them; netfront's are checked by its own tests.
pmd_asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
eal=(--no-huge --no-pci -m 128 --log-level=error)

hvstub_up "$build" "$d" || { echo "FAIL: hv-stub"; exit 1; }
pids+=("$hvstub_pid")
guests_up "$build" 64M || bad "guests 1 and 2, a vif each"
start_netback() { # [OPTION]...
	"$build/netback/netback-dpdk" -l "${nb_lcores:-0}" --no-huge --no-pci -m 256 --log-level=error \
		--file-prefix "nb$$" --vdev net_null0,no-rx=1 -- "$@" >> "$d/nb.out" 2>> "$d/nb.err" &
	nb=$!
	pids+=($nb)
}
# testpmd ID MODE LCORES: a guest's testpmd, running until SIGINT (it then
# prints its accumulated statistics); its output in $d/pmd-ID.
# QUEUES (default 1): the port's queues, asked of the driver and used.
testpmd() {
	local id=$1 mode=$2 lcores=$3 queues=${4:-1}
	LD_PRELOAD="$preload" ASAN_OPTIONS="$pmd_asan" dpdk-testpmd -l "$lcores" "${eal[@]}" \
		--file-prefix "g$id$$" -d "$pmd" --vdev "net_netfront0,domid=$id,queues=$queues" -- \
		--nb-cores=1 --rxq="$queues" --txq="$queues" --forward-mode="$mode" \
		--total-num-mbufs=4096 --stats-period 600 \
		< /dev/null > "$d/pmd-$id" 2>&1 &
	pids+=($!)
	eval "guest$id=$!"
}
stop_testpmd() { # ID
	local pid
	eval "pid=\$guest$1"
	kill -INT "$pid"
	wait "$pid"
}
# The Accumulated statistics testpmd prints at exit: RX-packets or TX-packets.
total() { # ID RX|TX
	awk -v k="$2-packets:" '/Accumulated forward statistics/ { a = 1 } a && $1 == k { print $2; exit }' "$d/pmd-$1"
}
# netback-dpdk's count for vif ID/0 at exit: "from" (guest sent) or "to".
nb_count() { # ID from|to
	grep -o "vif $1/0: from guest [0-9]* packets [0-9]* bytes, to guest [0-9]*" "$d/nb.out" |
		tail -n 1 | awk -v w="$2" '{ print w == "from" ? $5 : $11 }'
}
within_ring() { # A B: A <= B and B - A < 256 (one ring)
	[ -n "$1" ] && [ -n "$2" ] && [ "$1" -le "$2" ] && [ $(($2 - $1)) -lt 256 ]
}

wait_forwarding() { # ID
	for _ in $(seq 100); do grep -q "packet forwarding - ports=" "$d/pmd-$1" && break; sleep 0.1; done
	# The port's MAC is the one the toolstack wrote for the vif.
	local mac
	mac=$(xenstore-read /local/domain/$1/device/vif/0/mac 2>&1)
	grep -q -i "^Port 0: $mac\$" "$d/pmd-$1" &&
		ok "testpmd loads net_netfront and connects guest $1's vif (port 0 is $mac)" ||
		{ bad "guest $1's testpmd did not connect with MAC $mac:"; tail -5 "$d/pmd-$1"; }
}

# Which event channel keys guest ID's vif has: "split" or "one".
channels() { # ID
	local dir=/local/domain/$1/device/vif/0
	if xenstore-read "$dir/event-channel-tx" > /dev/null 2>&1 &&
		xenstore-read "$dir/event-channel-rx" > /dev/null 2>&1; then echo split
	elif xenstore-read "$dir/event-channel" > /dev/null 2>&1; then echo one
	else echo none; fi
}

# Guest 1 sends, guest 2 counts; then both stop, then netback-dpdk (its
# counters at exit).  netback-dpdk offers the base protocol alone: the
# driver negotiates down to one event channel.
start_netback --base-protocol
testpmd 2 rxonly 1,0
wait_forwarding 2
testpmd 1 txonly 0,1
wait_forwarding 1
sleep 2
[ "$(channels 1)" = one ] && [ "$(channels 2)" = one ] &&
	ok "against --base-protocol both guests took one event channel" ||
	bad "against --base-protocol the guests took: $(channels 1), $(channels 2)"
# The counters through DPDK's telemetry, with DPDK's own client.
printf '/netback/vifs\n/netback/vif,vif1_0\n/netback/vif,vif2_0\n' |
	timeout 20 dpdk-telemetry.py -f "nb$$" > "$d/tel.out" 2>&1
if python3 - "$d/tel.out" 2> "$d/tel.err" <<'PY'
import json, sys
lines = [l.strip() for l in open(sys.argv[1]) if l.strip().startswith("{")]
vifs, one, two = (json.loads(l) for l in lines[:3])
assert sorted(vifs["/netback/vifs"]) == ["vif1_0", "vif2_0"], vifs
assert one["/netback/vif"]["tx_packets"] > 0, one
assert two["/netback/vif"]["rx_packets"] > 0, two
PY
then
	ok "dpdk-telemetry.py reads netback-dpdk's /netback/vifs and /netback/vif: guest 1 sending, guest 2 receiving"
else
	bad "telemetry: $(tail -1 "$d/tel.err") / $(tr "\n" " " < "$d/tel.out" | tail -c 400)"
fi
stop_testpmd 1 || bad "guest 1's testpmd exit status"
sleep 0.5
stop_testpmd 2 || bad "guest 2's testpmd exit status"
for id in 1 2; do
	state=$(xenstore-read /local/domain/$id/device/vif/0/state 2>&1)
	[ "$state" = 6 ] && ok "guest $id's testpmd closed its vif at exit (state 6)" ||
		bad "guest $id's vif state after exit: $state"
done
kill -INT "$nb"
wait "$nb" 2> /dev/null
sent=$(total 1 TX) received=$(total 2 RX)
took=$(nb_count 1 from) gave=$(nb_count 2 to)
echo "guest 1 sent $sent, netback-dpdk took $took; netback-dpdk gave guest 2 $gave, it received $received"
within_ring "$took" "$sent" && [ "$took" -gt 1000 ] &&
	ok "netback-dpdk took what guest 1 sent, within a ring: $took of $sent" ||
	bad "guest 1 sent ${sent:-?}, netback-dpdk took ${took:-?}"
within_ring "$received" "$gave" && [ "$received" -gt 0 ] &&
	ok "guest 2 received what netback-dpdk gave it, within a ring: $received of $gave" ||
	bad "netback-dpdk gave guest 2 ${gave:-?}, its testpmd received ${received:-?}"

# netback-dpdk dies under guest 1's traffic and comes back: the driver
# connects again (it notices from its transmit path alone).
: > "$d/nb.out"
start_netback
testpmd 1 txonly 0,1
sleep 1
for _ in $(seq 100); do grep -q "packet forwarding - ports=" "$d/pmd-1" && break; sleep 0.1; done
sleep 1
kill -9 "$nb"
wait "$nb" 2> /dev/null
start_netback
sleep 3
[ "$(channels 1)" = split ] && ! xenstore-read /local/domain/1/device/vif/0/event-channel > /dev/null 2>&1 &&
	ok "offered split event channels, guest 1 took one per ring (event-channel-tx and -rx; its old event-channel key gone)" ||
	bad "offered split event channels, guest 1 took: $(channels 1)"
kill -USR1 "$nb"
sleep 0.5
after=$(nb_count 1 from)
[ -n "$after" ] && [ "$after" -gt 0 ] &&
	ok "netback-dpdk SIGKILLed and restarted: guest 1's driver connected again, $after frames since" ||
	{ bad "no frames from guest 1 after the restart: ${after:-none}"; cat "$d/nb.err"; }
stop_testpmd 1 || bad "guest 1's testpmd exit status after the restart"
kill -INT "$nb"
wait "$nb" 2> /dev/null

# Two queues a port against netback-dpdk on two lcores: guest 1 sends on
# both, and each lcore delivers to guest 2's queue of its own number.
: > "$d/nb.out"
nb_lcores=0,1 start_netback
testpmd 2 rxonly 1,0 2
wait_forwarding 2
testpmd 1 txonly 0,1 2
wait_forwarding 1
sleep 3
printf '/netback/vif,vif1_0\n/netback/vif,vif2_0\n' |
	timeout 20 dpdk-telemetry.py -f "nb$$" > "$d/tel-mq.out" 2>&1
if python3 - "$d/tel-mq.out" 2> "$d/tel-mq.err" <<'PY'
import json, sys
lines = [l.strip() for l in open(sys.argv[1]) if l.strip().startswith("{")]
one, two = (json.loads(l)["/netback/vif"] for l in lines[:2])
assert one["queues"] == 2 and two["queues"] == 2, (one, two)
assert all(n > 0 for n in one["queue_tx_packets"]), one
assert all(n > 0 for n in two["queue_rx_packets"]), two
PY
then
	ok "queues=2: guest 1 sent on both queues and guest 2 received on both, one netback-dpdk lcore each (telemetry's queue counters)"
else
	bad "queues=2: $(tail -1 "$d/tel-mq.err") / $(tr "\n" " " < "$d/tel-mq.out" | tail -c 400)"
fi
stop_testpmd 1 || bad "guest 1's testpmd exit status with two queues"
stop_testpmd 2 || bad "guest 2's testpmd exit status with two queues"
received=$(total 2 RX)
[ -n "$received" ] && [ "$received" -gt 0 ] &&
	ok "guest 2's testpmd counted $received frames over its two queues" ||
	bad "guest 2's testpmd received ${received:-nothing} over two queues"
kill -INT "$nb"
wait "$nb" 2> /dev/null

# Wrong arguments and missing objects: one line naming what is wrong.
refused() { # TEXT DEVARGS
	local out
	out=$(LD_PRELOAD="$preload" ASAN_OPTIONS="$pmd_asan" timeout 60 dpdk-testpmd -l 0 "${eal[@]}" \
		--file-prefix "bad$$" -d "$pmd" --vdev "net_netfront0,$2" -- --nb-cores=0 < /dev/null 2>&1)
	if [ $? -ne 0 ] && grep -q -F -- "$1" <<< "$out"; then
		ok "devargs '$2': refused, saying \"$1\""
	else
		bad "devargs '$2': wanted a failure saying \"$1\", got:"
		echo "$out" | tail -5
	fi
}
refused "say which guest domain this process is (domid=<id>)" "vif=0"
refused "domid=abc: not a domain id" "domid=abc"
refused "cannot become domain 9 of hv-stub" "domid=9"
refused "domain 1 vif 5: no such vif" "domid=1,vif=5"
refused "bad arguments" "domid=1,colour=blue"
refused "queues=9: not a number of queues (1 to 8)" "domid=1,queues=9"

echo "check-pmd: $pass passed, $fail failed"
[ $fail -eq 0 ]

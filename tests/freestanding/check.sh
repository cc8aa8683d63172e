#!/bin/sh
# libring, the granting side of grant and the event scanner build freestanding and links into a program with no libc:
# compile its sources and fs_main.c with -ffreestanding, link with -nostdlib,
# require no undefined symbol, then run the program's self-test.
#   check.sh SOURCE_ROOT CC [CC...]
set -u
root=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for cc in "$@"; do
	command -v "$cc" >/dev/null 2>&1 || { echo "skip: $cc not installed"; continue; }
	for opt in -O0 -O2 -Os; do
		what="$cc $opt"
		exe="$tmp/fs-$cc$opt"
		if ! "$cc" -std=c11 -ffreestanding -nostdlib -static -fno-stack-protector \
			-fno-pie -mgeneral-regs-only $opt -Wall -Wextra -Werror \
			-I"$root/include" "$root/tests/freestanding/fs_main.c" \
			"$root"/libring/*.c "$root"/grant/*.c "$root"/evtchn/*.c -o "$exe" 2> "$tmp/err"; then
			echo "FAIL: $what: libring does not link with -nostdlib:"
			cat "$tmp/err"
			fail=$((fail + 1))
			continue
		fi
		undefined=$(nm -u "$exe")
		if [ -n "$undefined" ]; then
			echo "FAIL: $what: undefined symbols pulled in: $undefined"
			fail=$((fail + 1))
			continue
		fi
		"$exe"
		status=$?
		if [ "$status" -ne 0 ]; then
			echo "FAIL: $what: freestanding self-test exited $status"
			fail=$((fail + 1))
			continue
		fi
		# The XenStore client's ring transport and XenBus: freestanding
		# objects whose only outside symbols are the platform's.
		objs=""
		for src in xenstore/wire.c xenstore/client/client.c xenstore/client/async.c \
			xenstore/client/ring.c xenstore/xenbus.c \
			xenstore/xenbus_bus.c xenstore/xenbus_ring.c \
			blkfront/blkfront.c netfront/netfront.c; do
			obj="$tmp/$(basename "$src" .c)-$cc$opt.o"
			if ! "$cc" -std=c11 -ffreestanding -fno-stack-protector \
				-fno-pie -mgeneral-regs-only $opt -Wall -Wextra -Werror \
				-I"$root/include" -c "$root/$src" -o "$obj" 2> "$tmp/err"; then
				echo "FAIL: $what: $src does not build freestanding:"
				cat "$tmp/err"
				fail=$((fail + 1))
				continue 2
			fi
			objs="$objs $obj"
		done
		ld -r -o "$tmp/xs-$cc$opt.o" $objs
		foreign=$(nm -u "$tmp/xs-$cc$opt.o" | awk '{print $2}' |
			grep -v -E '^sdrv_(page_alloc|page_free|pages_alloc|pages_free|evtchn_notify|evtchn_wait_ports|evtchn_wait_port|evtchn_wait|evtchn_fd|evtchn_alloc_unbound|evtchn_bind_interdomain|evtchn_close|grant_access|grant_end_access|grant_map|grant_unmap|platform_domid|platform_xenstore|platform_clock_ms|platform_copy|ring_front_attach|ring_back_attach|ring_sring_init|ring_nr_slots)$' || true)
		if [ -n "$foreign" ]; then
			echo "FAIL: $what: the XenStore ring client, XenBus or blkfront needs: $foreign"
			fail=$((fail + 1))
			continue
		fi
		pass=$((pass + 1))
	done
done
echo "freestanding: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]

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
		pass=$((pass + 1))
	done
done
echo "freestanding: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]

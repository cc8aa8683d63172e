#!/bin/sh
# Every public header compiles on its own, freestanding, as C11 (and as
# pedantic as we can make it), with each C compiler given.
#   check-headers.sh INCLUDE_DIR CC [CC...]
set -u
incdir=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for cc in "$@"; do
	command -v "$cc" >/dev/null 2>&1 || { echo "skip: $cc not installed"; continue; }
	for h in "$incdir"/splitdrv/*.h; do
		name=splitdrv/$(basename "$h")
		printf '#include <%s>\ntypedef int header_check_anchor;\n' "$name" > "$tmp/one.c"
		if "$cc" -std=c11 -ffreestanding -Wall -Wextra -Wpedantic -Werror \
			-I"$incdir" -c "$tmp/one.c" -o "$tmp/one.o" 2> "$tmp/err"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL: $name does not compile alone with $cc -std=c11 -ffreestanding:"
			cat "$tmp/err"
		fi
	done
done
echo "headers: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]

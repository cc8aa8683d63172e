#!/bin/sh
# Every public header compiles on its own: as freestanding C11 with each C
# compiler given, and as C++17 with each C++ compiler given (names ending in
# "++"), as pedantic as we can make it.
#   check-headers.sh INCLUDE_DIR GENERATED_INCLUDE_DIR COMPILER [COMPILER...]
set -u
incdir=$1
geninc=$2
shift 2
# one folder holding both (an installed prefix): look at it once
[ "$geninc" = "$incdir" ] && geninc=/nonexistent
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for cc in "$@"; do
	command -v "$cc" >/dev/null 2>&1 || { echo "skip: $cc not installed"; continue; }
	case $cc in
	*++) lang="-std=c++17" src=one.cc ;;
	*) lang="-std=c11 -ffreestanding" src=one.c ;;
	esac
	for h in "$incdir"/splitdrv/*.h "$geninc"/splitdrv/*.h; do
		[ -f "$h" ] || continue
		name=splitdrv/$(basename "$h")
		printf '#include <%s>\ntypedef int header_check_anchor;\n' "$name" > "$tmp/$src"
		if "$cc" $lang -Wall -Wextra -Wpedantic -Werror \
			-I"$incdir" -I"$geninc" -c "$tmp/$src" -o "$tmp/one.o" 2> "$tmp/err"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL: $name does not compile alone with $cc $lang:"
			cat "$tmp/err"
		fi
	done
done
echo "headers: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]

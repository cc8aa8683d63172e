#!/usr/bin/env bash
# Install what is missing, build, and run every test (the README's test
# command; CI runs it).  Idempotent.
#
#   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer, -Werror:
#                every test suite
#   build-tsan/  ThreadSanitizer: the concurrent suites (libring on both sides)
#
# Ends with one line "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

setup() { # dir, meson options...
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
}

status=0
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true
meson compile -C build-asan
meson test -C build-asan --print-errorlogs || status=1

setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dwerror=true -Dbench=disabled
meson compile -C build-tsan
meson test -C build-tsan --suite tsan --print-errorlogs || status=1

python3 scripts/test-summary.py build-asan/meson-logs/testlog.json \
	build-tsan/meson-logs/testlog.json
exit $status

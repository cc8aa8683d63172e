#!/usr/bin/env bash
# Install what is missing, build, and run every test (the README's test
# command; CI runs it).  Idempotent.
#
#   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer, -Werror:
#                every test suite
#   build-tsan/  ThreadSanitizer: the concurrent suites (libring on both sides)
#   build-install/  a plain build installed into build-install/prefix; the
#                examples built against it through pkg-config, and run
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

# The package as a user gets it: install into a fresh prefix, then build
# and run the examples against it through pkg-config alone.
rm -rf build-install
meson setup build-install --prefix "$PWD/build-install/prefix" \
	-Dcriterion=disabled -Dbench=disabled >/dev/null
meson compile -C build-install >/dev/null
meson install -C build-install >/dev/null
tests/package/check-installed.sh "$PWD" "$PWD/build-install/prefix" \
	> build-install/package.log 2>&1 || status=1
cat build-install/package.log

python3 scripts/test-summary.py build-asan/meson-logs/testlog.json \
	build-tsan/meson-logs/testlog.json build-install/package.log
exit $status

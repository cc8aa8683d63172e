#!/usr/bin/env bash
# What a user gets from `meson install`, checked from outside the tree:
#   - every public header of the source tree is installed, and compiles
#     alone as C11 and as C++17 from the installed prefix;
#   - libsplitdrv.so and libsplitdrv.a define no global symbol but sdrv_*
#     and do not carry hv-stub's core;
#   - the examples build out of tree through pkg-config alone (shared and
#     static) and run: a ring exchange, two process domains under the
#     installed hv-stub, a XenStore watch against the installed
#     sdrv-xenstored;
#   - the installed programs run from the prefix with no LD_LIBRARY_PATH,
#     and have their man pages.
#   check-installed.sh SOURCE_ROOT PREFIX
# Ends with "package: N passed, N failed".
set -u
root=$1
prefix=$2
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

unset LD_LIBRARY_PATH
pcdir=$(dirname "$(find "$prefix" -name libsplitdrv.pc | head -n 1)")
export PKG_CONFIG_PATH=$pcdir
libdir=$(pkg-config --variable=libdir libsplitdrv)
incdir=$(pkg-config --variable=includedir libsplitdrv)
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

# Headers: each one of the tree is installed, and each installed one
# compiles alone in C and C++.
for h in "$root"/include/splitdrv/*.h; do
	[ -f "$incdir/splitdrv/$(basename "$h")" ] ||
		bad "header splitdrv/$(basename "$h") is not installed"
done
[ -f "$incdir/splitdrv/version.h" ] || bad "splitdrv/version.h is not installed"
if sh "$root/tests/headers/check-headers.sh" "$incdir" "$incdir" gcc g++ > "$tmp/h" 2>&1; then
	ok "$(tail -n 1 "$tmp/h") (installed, C11 and C++17)"
else
	bad "installed headers:"; cat "$tmp/h"
fi

# Symbols: the shared and the static library export sdrv_* alone.
for lib in "$libdir/libsplitdrv.so" "$libdir/libsplitdrv.a"; do
	case $lib in
	*.so) syms=$(nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}') ;;
	*.a) syms=$(nm -g --defined-only "$lib" | awk 'NF == 3 {print $3}') ;;
	esac
	foreign=$(printf '%s\n' "$syms" | grep -v -E '^(sdrv_|$)' | tr '\n' ' ')
	if [ -z "$syms" ]; then
		bad "$lib defines no symbol"
	elif [ -n "$foreign" ]; then
		bad "$lib exports symbols outside sdrv_*: $foreign"
	else
		ok "$lib exports $(printf '%s\n' "$syms" | wc -l) symbols, all sdrv_*"
	fi
	if nm "$lib" 2>/dev/null | grep -q -E ' [tTdDbB] (hv_domain_create|hv_grant_copy)$'; then
		bad "$lib carries hv-stub's core"
	fi
done

# The examples, built out of tree from the pkg-config flags alone.
cp "$root"/examples/*.c "$root"/examples/Makefile "$tmp/"
for mode in shared static; do
	flags=""
	[ $mode = static ] && flags="STATIC=1"
	if make -s -C "$tmp" clean all $flags > "$tmp/make.log" 2>&1; then
		ok "examples build against the installed prefix ($mode)"
	else
		bad "examples do not build ($mode):"; cat "$tmp/make.log"
		continue
	fi
	if [ $mode = static ] && readelf -d "$tmp/ring-exchange" | grep -q libsplitdrv; then
		bad "static example still links libsplitdrv.so"
	fi
	if out=$("$tmp/ring-exchange" 20000 2>&1); then
		ok "ring-exchange ($mode): $(tail -n 1 <<<"$out")"
	else
		bad "ring-exchange ($mode): $out"
	fi
done

# The installed programs find the installed library by themselves, and
# each has its man page.
for prog in hv-stub hvctl sdrv-xenstored xs-guest blk-guest blkback net-guest netback-dpdk; do
	if out=$("$prefix/bin/$prog" --version 2>&1); then
		ok "$prog --version: $out"
	else
		bad "$prog --version from $prefix/bin: $out"
	fi
	page=$(find "$prefix" -path "*/man1/$prog.1" | head -n 1)
	if [ -n "$page" ] && grep -q "^\.SH DESCRIPTION" "$page"; then
		ok "man page $page"
	else
		bad "$prog: no man page installed under $prefix"
	fi
done

# fio's engine is installed beside the library, and fio loads it.
engine=$(find "$prefix" -name splitdrv-fio.so | head -n 1)
if [ -z "$engine" ]; then
	bad "splitdrv-fio.so not installed under $prefix"
elif out=$(fio --enghelp="$engine" 2>&1) && echo "$out" | grep -q "domid"; then
	ok "fio loads the installed engine $engine and lists its options"
else
	bad "fio --enghelp=$engine: $out"
fi

# The DPDK driver is installed beside the library, and testpmd loads it:
# without a domain to become, it says so.
pmd=$(find "$prefix" -name librte_net_netfront.so | head -n 1)
. "$root/scripts/harness.sh"
if [ -z "$pmd" ]; then
	bad "librte_net_netfront.so not installed under $prefix"
elif ! dpdk_plugin "$pmd"; then
	bad "cannot copy $pmd under /run (scripts/harness.sh)"
elif pmd=$dpdk_plugin_path; out=$(timeout 60 dpdk-testpmd -l 0 --no-huge --no-pci -m 64 --log-level=error \
		--file-prefix "pkg$$" -d "$pmd" --vdev net_netfront0 -- --nb-cores=0 < /dev/null 2>&1);
	[ $? -ne 0 ] && grep -q "say which guest domain" <<< "$out"; then
	ok "dpdk-testpmd loads the installed driver $pmd (and it asks for domid=)"
else
	bad "dpdk-testpmd -d $pmd: $(tail -3 <<< "$out")"
fi
dpdk_plugin_cleanup

# Two process domains under the installed hv-stub, and a watch against the
# installed sdrv-xenstored.
"$prefix/bin/hv-stub" --socket "$tmp/hv.sock" 2> "$tmp/hv.log" &
for _ in $(seq 100); do [ -S "$tmp/hv.sock" ] && break; sleep 0.05; done
if "$prefix/bin/hvctl" -s "$tmp/hv.sock" create example --id 1 --mem 8M >/dev/null &&
	out=$("$tmp/two-domains" "$tmp/hv.sock" 1 2>&1); then
	ok "two-domains: $(tr '\n' ';' <<<"$out")"
else
	bad "two-domains: ${out:-hvctl create failed}"; cat "$tmp/hv.log"
fi
"$prefix/bin/sdrv-xenstored" --socket "$tmp/xs.sock" 2> "$tmp/xs.log" &
for _ in $(seq 100); do [ -S "$tmp/xs.sock" ] && break; sleep 0.05; done
if out=$("$tmp/xs-watch" "$tmp/xs.sock" /example/state 2>&1); then
	ok "xs-watch: $out"
else
	bad "xs-watch: $out"; cat "$tmp/xs.log"
fi

echo "package: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

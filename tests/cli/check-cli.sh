#!/usr/bin/env bash
# Every program behaves like a Unix tool: --help on stdout with exit 0,
# --version, and each wrong word refused on one line naming it, exit 2.
#   check-cli.sh VERSION NAME=PATH...
# Ends with "cli: N passed, N failed".
set -u
version=$1
shift
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# run NAME EXPECTED_STATUS ARGS...: output in $tmp/out, $tmp/err
run() {
	local prog=$1 want=$2
	shift 2
	# no hv-stub or XenStore anywhere: nothing may hang on one
	HVSTUB_SOCKET=$tmp/none.sock XENSTORED_PATH=$tmp/none.sock \
		timeout 20 "$prog" "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
	got=$?
	[ "$got" -eq "$want" ]
}

# refused PROG WORD ARGS...: exit 2, one line on stderr naming WORD
refused() {
	local prog=$1 word=$2 name
	shift 2
	name=$(basename "$prog")
	if ! run "$prog" 2 "$@"; then
		bad "$name $*: exit $got, expected 2: $(head -c 300 "$tmp/err")"
	elif [ "$(wc -l < "$tmp/err")" -ne 1 ]; then
		bad "$name $*: $(wc -l < "$tmp/err") lines on stderr, expected one:"
		cat "$tmp/err"
	elif ! grep -q -F -- "$word" "$tmp/err"; then
		bad "$name $*: the error does not name '$word': $(cat "$tmp/err")"
	elif [ -s "$tmp/out" ]; then
		bad "$name $*: printed on stdout too"
	else
		ok
	fi
}

# fails PROG TEXT ARGS...: a failed operation: exit 1, one line saying TEXT
fails() {
	local prog=$1 text=$2
	shift 2
	if run "$prog" 1 "$@" && [ "$(wc -l < "$tmp/err")" -eq 1 ] &&
		grep -q -F -- "$text" "$tmp/err"; then
		ok
	else
		bad "$(basename "$prog") $*: expected exit 1 and one line saying '$text', got exit $got: $(cat "$tmp/err")"
	fi
}

# says PROG TEXT ARGS...: the error line also says TEXT (the limit, ...)
says() {
	local prog=$1 text=$2
	shift 2
	if run "$prog" 2 "$@" && grep -q -F -- "$text" "$tmp/err"; then
		ok
	else
		bad "$(basename "$prog") $*: expected an error saying '$text', got: $(cat "$tmp/err")"
	fi
}

for spec in "$@"; do
	name=${spec%%=*}
	prog=${spec#*=}
	if [ ! -x "$prog" ]; then
		bad "$name: $prog is not built"
		continue
	fi
	if run "$prog" 0 --help && grep -q "^Usage: $name" "$tmp/out" &&
		[ ! -s "$tmp/err" ]; then
		ok
	else
		bad "$name --help: exit $got, stdout '$(head -n 1 "$tmp/out")', stderr '$(head -n 1 "$tmp/err")'"
	fi
	if run "$prog" 0 --version && grep -q -x "$name (splitdrv) $version" "$tmp/out"; then
		ok
	else
		bad "$name --version: exit $got, printed '$(cat "$tmp/out")'"
	fi
	# DPDK programs: the EAL's options first (enough to start here).
	pre=()
	[ "$name" = netback-dpdk ] &&
		pre=(--no-huge --no-pci -m 128 --log-level=error --file-prefix "cli$$" --)
	refused "$prog" --no-such-option "${pre[@]}" --no-such-option
	case $name in
	hvctl)
		refused "$prog" stray-word stray-word
		refused "$prog" stray-word list stray-word
		says "$prog" "1 GiB limit" create g --id 1 --mem 99999G
		says "$prog" "limit of 32751" create g --id 32752
		refused "$prog" --mem create g --id 1 --mem
		;;
	xs-guest)
		refused "$prog" stray-word 1 stray-word
		says "$prog" "limit of" 99999 read x
		refused "$prog" COUNT 1 watch x many
		;;
	hv-stub)
		refused "$prog" stray-word stray-word
		says "$prog" "1 GiB limit" --dom0-mem 99999G
		says "$prog" "unknown unit" --dom0-mem 16Q
		refused "$prog" --socket --socket
		;;
	blkback)
		refused "$prog" stray-word stray-word
		says "$prog" "limit of" --max-queues 9
		says "$prog" "limit of 32751" --domid 40000
		fails "$prog" "hv-stub $tmp/none.sock: not running" \
			--socket "$tmp/none.sock"
		;;
	blk-guest)
		refused "$prog" stray-word 1 stray-word
		says "$prog" "limit of" 99999
		fails "$prog" "hv-stub $tmp/none.sock: not running" --socket "$tmp/none.sock" 1
		;;
	net-attack)
		refused "$prog" stray-word 1 stray-word
		says "$prog" "limit of" 99999
		fails "$prog" "hv-stub $tmp/none.sock: not running" --socket "$tmp/none.sock" 1
		;;
	net-guest)
		refused "$prog" stray-word 1 stray-word
		says "$prog" "limit of" 99999
		says "$prog" "limit of 255" --devid 256 1
		fails "$prog" "hv-stub $tmp/none.sock: not running" --socket "$tmp/none.sock" 1
		;;
	netback-dpdk)
		refused "$prog" stray-word "${pre[@]}" stray-word
		says "$prog" "minimum of 1" "${pre[@]}" --stats 0
		fails "$prog" "hv-stub $tmp/none.sock: not running" "${pre[@]}" \
			--socket "$tmp/none.sock"
		;;
	ring-demo)
		refused "$prog" stray-word 10 stray-word
		says "$prog" "ROUND-TRIPS" 0
		;;
	sdrv-xenstored)
		refused "$prog" stray-word stray-word
		says "$prog" "--hv-stub" --domid 5
		says "$prog" "NAME=NUMBER" --quota nodes
		fails "$prog" "directory $tmp/missing does not exist" \
			--socket "$tmp/missing/socket"
		# a socket a live daemon serves is not taken over
		"$prog" --socket "$tmp/live.sock" 2> /dev/null &
		live=$!
		for _ in $(seq 100); do [ -S "$tmp/live.sock" ] && break; sleep 0.05; done
		fails "$prog" "another XenStore daemon is serving it" \
			--socket "$tmp/live.sock"
		kill "$live"
		wait "$live" 2> /dev/null
		;;
	*)	# the benchmarks and demos take options only
		refused "$prog" stray-word stray-word
		says "$prog" "--reps" --reps 0
		;;
	esac
	# the usage states the limits a user runs into
	case $name in
	hv-stub) limits=("24 KiB to 1 GiB" "ids are 0 to 32751") ;;
	hvctl) limits=("24K to 1G" "0 to 32751") ;;
	xs-guest) limits=("ID is 1 to" "1 to 86400") ;;
	sdrv-xenstored) limits=("1 to 32751") ;;
	ring-demo) limits=("1 to") ;;
	blkback) limits=("1 to 4" "0 to 3") ;;
	blk-guest) limits=("512 to 131072") ;;
	net-guest) limits=("vifID.N" "default 0") ;;
	netback-dpdk) limits=("--no-huge --no-pci" "also on SIGUSR1") ;;
	net-attack) limits=("1 to 32751" "until") ;;
	*) limits=("1 to") ;;
	esac
	run "$prog" 0 --help
	for text in "${limits[@]}"; do
		if grep -q -F -- "$text" "$tmp/out"; then
			ok
		else
			bad "$name --help does not state the limit '$text'"
		fi
	done
done
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

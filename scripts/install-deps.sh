#!/usr/bin/env bash
# Install the Debian 12 packages splitdrv needs, only those missing.
# Idempotent; run as root (or with sudo available).
cd "$(dirname "$0")/.."
set -euo pipefail

packages=(
	build-essential meson ninja-build pkg-config clang binutils python3
	libcriterion-dev   # tests
	libxen-dev         # Xen public headers: ABI checks, interop, peers
	libdpdk-dev        # rte_ring peer; netback-dpdk
	dpdk-dev           # dpdk-testpmd: bench/netperf's peer
	liburing-dev       # blkback
	gnuplot-nox        # benchmark plots
	help2man           # man pages from the programs' --help
	xenstore-utils     # real XenStore clients against sdrv-xenstored
	xen-utils-4.17     # Xen's test-xenstore and C xenstored (the peer)
	fio                # the block path's load and benchmark
	dpkg-dev           # apt-get source: fio's engine headers
	iproute2 iputils-ping iperf3  # the network path's tests and demo
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# fio ships no headers for external engines: take them from Debian's source
# package of the installed fio's very version (a deb-src entry for the
# same archive), configured as Debian builds it, into .deps/ (not in git).
fio_version=$(dpkg-query -W -f='${Version}' fio)
fio_dir=".deps/fio-${fio_version%%-*}"
if [ ! -f "$fio_dir/config-host.h" ]; then
	if ! apt-get source --print-uris -qq "fio=$fio_version" >/dev/null 2>&1; then
		codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
		echo "install-deps: adding Debian's source archive ($codename) to apt"
		$sudo tee /etc/apt/sources.list.d/splitdrv-src.sources >/dev/null <<EOF2
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF2
		$sudo apt-get update -qq
	fi
	echo "install-deps: fetching fio $fio_version's source into $fio_dir"
	rm -rf "$fio_dir" .deps/fio-src
	mkdir -p .deps/fio-src
	(cd .deps/fio-src && apt-get source -qq "fio=$fio_version" >/dev/null 2>&1)
	mv .deps/fio-src/fio-*/ "$fio_dir"
	rm -rf .deps/fio-src
	(cd "$fio_dir" && ./configure --disable-native --prefix=/usr >configure.log 2>&1)
fi

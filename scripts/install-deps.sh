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

# Headers a Debian -dev package lacks come from Debian's source package of
# the installed binary's very version (a deb-src entry for the same
# archive), into .deps/ (not in git).
ensure_deb_src() { # PACKAGE=VERSION
	apt-get source --print-uris -qq "$1" >/dev/null 2>&1 && return
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
}

# fio ships no headers for external engines: its whole source, configured
# as Debian builds it.
fio_version=$(dpkg-query -W -f='${Version}' fio)
fio_dir=".deps/fio-${fio_version%%-*}"
if [ ! -f "$fio_dir/config-host.h" ]; then
	ensure_deb_src "fio=$fio_version"
	echo "install-deps: fetching fio $fio_version's source into $fio_dir"
	rm -rf "$fio_dir" .deps/fio-src
	mkdir -p .deps/fio-src
	(cd .deps/fio-src && apt-get source -qq "fio=$fio_version" >/dev/null 2>&1)
	mv .deps/fio-src/fio-*/ "$fio_dir"
	rm -rf .deps/fio-src
	(cd "$fio_dir" && ./configure --disable-native --prefix=/usr >configure.log 2>&1)
fi

# libdpdk-dev lacks the driver SDK headers a poll-mode driver needs
# (netfront's, for testpmd): only those, from the upstream tarball of
# the installed version.
dpdk_version=$(dpkg-query -W -f='${Version}' libdpdk-dev)
dpdk_dir=".deps/dpdk-${dpdk_version%%-*}"
dpdk_sdk=(lib/ethdev/ethdev_driver.h lib/ethdev/ethdev_vdev.h
	drivers/bus/vdev/bus_vdev_driver.h lib/eal/include/bus_driver.h
	lib/eal/include/dev_driver.h)
if [ ! -f "$dpdk_dir/include/ethdev_driver.h" ]; then
	ensure_deb_src "dpdk=$dpdk_version"
	echo "install-deps: fetching DPDK $dpdk_version's driver headers into $dpdk_dir"
	rm -rf "$dpdk_dir" .deps/dpdk-src
	mkdir -p .deps/dpdk-src "$dpdk_dir/include"
	(cd .deps/dpdk-src && apt-get source -qq --download-only "dpdk=$dpdk_version" >/dev/null 2>&1)
	tar -xf .deps/dpdk-src/dpdk_*.orig.tar.* -C .deps/dpdk-src \
		--wildcards "${dpdk_sdk[@]/#/*/}"
	for h in "${dpdk_sdk[@]}"; do
		mv .deps/dpdk-src/*/"$h" "$dpdk_dir/include/"
	done
	rm -rf .deps/dpdk-src
fi

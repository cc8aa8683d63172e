#!/usr/bin/env bash
# Install the Debian 12 packages splitdrv needs, only those missing.
# Idempotent; run as root (or with sudo available).
set -euo pipefail

packages=(
	build-essential meson ninja-build pkg-config clang binutils python3
	libcriterion-dev   # tests
	libxen-dev         # Xen public headers: ABI checks, interop, peers
	libdpdk-dev        # rte_ring peer; netback-dpdk
	liburing-dev       # blkback
	gnuplot-nox        # benchmark plots
	help2man           # man pages from the programs' --help
	xenstore-utils     # real XenStore clients against sdrv-xenstored
	xen-utils-4.17     # Xen's test-xenstore and C xenstored (the peer)
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# The main job: install what is missing, build (release), and show data moving
# through the split-driver ring: the interop demo (Xen's own ring macros
# against libring, in two processes), then ringperf's quick run.  Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

if [ -f build/build.ninja ]; then
	meson configure build -Dbuildtype=release >/dev/null
else
	meson setup build -Dbuildtype=release >/dev/null
fi
meson compile -C build >/dev/null

echo "== Interop: Xen's ring.h macros and libring, front and back in two processes"
build/tools/ring-demo 2000000
if [ -x build/bench/ringperf ]; then
	echo
	echo "== ringperf --quick: libring against Xen's ring macros and DPDK's rte_ring"
	build/bench/ringperf --quick --out build/bench-results
fi

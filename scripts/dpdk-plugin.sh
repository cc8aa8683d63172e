# Sourced by the scripts that load net_netfront into dpdk-testpmd.
#
# DPDK refuses to load a plugin (-d) from a directory that is, or is
# inside, a world-writable one ("directory path /tmp is world-writable and
# insecure"): a build tree under /tmp cannot be loaded from.  dpdk_plugin
# SO copies the driver into a fresh directory under /run (root's) and sets
# dpdk_plugin_path to the copy (not in a subshell: call it as a command);
# the copy finds libsplitdrv through
# LD_LIBRARY_PATH, which it extends with the build's library directory.
# dpdk_plugin_cleanup removes the copies.
dpdk_plugin_dirs=()
dpdk_plugin() { # SO
	local dir lib
	dir=$(mktemp -d /run/splitdrv-dpdk.XXXXXX) || return 1
	chmod 0755 "$dir"
	cp "$1" "$dir/" || return 1
	dpdk_plugin_dirs+=("$dir")
	# The build tree's library (its own rpath is relative to its place).
	lib=$(dirname "$(dirname "$(dirname "$(realpath "$1")")")")
	[ -e "$lib/libsplitdrv.so" ] && export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	dpdk_plugin_path=$dir/$(basename "$1")
}
dpdk_plugin_cleanup() {
	[ ${#dpdk_plugin_dirs[@]} -eq 0 ] || rm -rf "${dpdk_plugin_dirs[@]}"
}

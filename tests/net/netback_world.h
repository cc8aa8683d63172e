/* SPDX-License-Identifier: MIT */
/*
 * The world the network tests run netback-dpdk in: hv-stub with
 * sdrv-xenstored, guest domains 1 and 2, vifs 1/0 (00:16:3e:00:01:00),
 * 1/1 (...:01:01) and 2/0 (...:02:00), the build's netback-dpdk as dom0's
 * backend, and this process attached as both guests.
 */
#ifndef TESTS_NET_NETBACK_WORLD_H
#define TESTS_NET_NETBACK_WORLD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <splitdrv/platform.h>
#include <splitdrv/xs.h>

struct netback_world {
	struct sdrv_platform *guest1, *guest2;
	struct sdrv_xs *xs1, *xs2;
	pid_t netback_pid;
	char netback_out[64]; /* netback-dpdk's standard output: a file */
};

/* Up, with guests of @guest_frames pages and netback-dpdk started from
 * @netback with its EAL options @eal and its own options @own (NULL-ended
 * lists; --no-huge, --no-pci, -m, the sockets and a file prefix are
 * added). */
void netback_world_up(struct netback_world *w, const char *netback,
		      const char *xenstored, uint32_t guest_frames,
		      const char *const *eal, const char *const *own);
/* Stop netback-dpdk (SIGTERM): it must have lived and exit 0; its
 * counters at exit are then in netback_out.  Down calls it if not yet. */
void netback_world_stop_netback(struct netback_world *w);
/* Counter @what ("lent", "copied after all", "from guest") of @vif
 * ("vif 1/0") in netback-dpdk now: the line it prints on SIGUSR1.
 * Return: its value, or -1 when no such line came within 5 s. */
long long netback_world_counter(struct netback_world *w, const char *vif,
				const char *what);
/* Down; netback-dpdk must have lived and exit 0 on SIGTERM. */
void netback_world_down(struct netback_world *w);

/* The one's-complement sum of @n bytes at @p, folded, plus @sum: a
 * checksum is right when the sum over it comes to 0xffff. */
uint32_t ones_sum(const uint8_t *p, size_t n, uint32_t sum);

#endif

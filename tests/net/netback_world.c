/* SPDX-License-Identifier: MIT */
#include "netback_world.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <splitdrv/xenbus_driver.h>

#include "../platform/hvstub_ctl.h"

static pid_t start_netback(const char *netback, const char *const *eal,
			  const char *const *own, const char *out)
{
	char prefix[32], hv[128];
	const char *argv[64];
	unsigned n = 0;

	snprintf(prefix, sizeof(prefix), "nbw%d", (int)getpid());
	snprintf(hv, sizeof(hv), "%s", hvstub_socket());
	argv[n++] = netback;
	for (; eal && *eal && n < 40; eal++)
		argv[n++] = *eal;
	argv[n++] = "--no-huge";
	argv[n++] = "--no-pci";
	argv[n++] = "-m";
	argv[n++] = "128";
	argv[n++] = "--log-level=error";
	argv[n++] = "--file-prefix";
	argv[n++] = prefix;
	argv[n++] = "--";
	argv[n++] = "-s";
	argv[n++] = hv;
	argv[n++] = "-x";
	argv[n++] = hvstub_xenstore_socket();
	for (; own && *own && n < 63; own++)
		argv[n++] = *own;
	argv[n] = NULL;
	pid_t pid = fork();

	if (pid == 0) {
		if (!freopen(out, "w", stdout))
			_exit(126);
		execv(netback, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

void netback_world_up(struct netback_world *w, const char *netback,
		      const char *xenstored, uint32_t guest_frames,
		      const char *const *eal, const char *const *own)
{
	struct sdrv_xs *xs = hvstub_start_with_xenstore(xenstored, "16M");
	const char *const vif10[] = { "mac", "00:16:3e:00:01:00", NULL };
	const char *const vif11[] = { "mac", "00:16:3e:00:01:01", NULL };
	const char *const vif20[] = { "mac", "00:16:3e:00:02:00", NULL };

	cr_assert_eq(hvstub_create(1, guest_frames, false, 0, 0), 0);
	cr_assert_eq(hvstub_create(2, guest_frames, false, 0, 0), 0);
	cr_assert_eq(sdrv_xenbus_device_create_with(xs, 0, 1, "vif", 0, vif10, vif10), 0);
	cr_assert_eq(sdrv_xenbus_device_create_with(xs, 0, 1, "vif", 1, vif11, vif11), 0);
	cr_assert_eq(sdrv_xenbus_device_create_with(xs, 0, 2, "vif", 0, vif20, vif20), 0);
	sdrv_xs_close(xs);
	snprintf(w->netback_out, sizeof(w->netback_out), "/tmp/nbw%d.out", (int)getpid());
	w->netback_pid = start_netback(netback, eal, own, w->netback_out);
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 1, &w->guest1), 0);
	cr_assert_eq(sdrv_xs_open_ring(w->guest1, &w->xs1), 0);
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 2, &w->guest2), 0);
	cr_assert_eq(sdrv_xs_open_ring(w->guest2, &w->xs2), 0);
}

void netback_world_stop_netback(struct netback_world *w)
{
	int status = 0;

	if (w->netback_pid <= 0)
		return;
	kill(w->netback_pid, SIGTERM);
	waitpid(w->netback_pid, &status, 0);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "netback-dpdk survived the test and exits 0 (status %#x)", status);
	w->netback_pid = 0;
}

long long netback_world_counter(struct netback_world *w, const char *vif,
				const char *what)
{
	char want[64], line[1024];
	long before;
	FILE *out = fopen(w->netback_out, "r");

	if (!out)
		return -1;
	fseek(out, 0, SEEK_END);
	before = ftell(out);
	snprintf(want, sizeof(want), "netback-dpdk: %s: ", vif);
	kill(w->netback_pid, SIGUSR1);
	for (int i = 0; i < 500; i++, usleep(10000)) {
		clearerr(out);
		fseek(out, before, SEEK_SET);
		while (fgets(line, sizeof(line), out)) {
			const char *p;
			long long v;

			/* Only whole lines (the rest is being written). */
			if (!strchr(line, '\n'))
				break;
			if (strncmp(line, want, strlen(want)) || !(p = strstr(line, what)) ||
			    sscanf(p + strlen(what), " %lld", &v) != 1)
				continue;
			fclose(out);
			return v;
		}
	}
	fclose(out);
	return -1;
}

void netback_world_down(struct netback_world *w)
{
	netback_world_stop_netback(w);
	unlink(w->netback_out);
	sdrv_xs_close(w->xs1);
	sdrv_xs_close(w->xs2);
	sdrv_platform_detach(w->guest1);
	sdrv_platform_detach(w->guest2);
	w->guest1 = w->guest2 = NULL;
	w->xs1 = w->xs2 = NULL;
	hvstub_stop_with_xenstore();
}

uint32_t ones_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

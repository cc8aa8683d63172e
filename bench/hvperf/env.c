/* SPDX-License-Identifier: MIT */
/* bench/hvperf/env.c - the two platform environments, opened for a run. */
#define _GNU_SOURCE
#include "hvperf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int env_open_inproc(struct hvperf_env *e)
{
	int err;

	memset(e, 0, sizeof(*e));
	e->name = "in-process";
	err = sdrv_inproc_hv_create(&e->ih);
	if (!err)
		err = sdrv_inproc_domain_create(e->ih, 0, "Domain-0", 4096, true);
	if (!err)
		err = sdrv_inproc_domain_create(e->ih, 1, "guest", 4096, false);
	if (!err)
		err = sdrv_inproc_attach(e->ih, 0, &e->dom0);
	if (!err)
		err = sdrv_inproc_attach(e->ih, 1, &e->domu);
	if (!err)
		err = sdrv_inproc_domain_create(e->ih, 3, "flooder", 256, false);
	if (!err)
		err = sdrv_inproc_attach(e->ih, 3, &e->flooder);
	e->copier = e->dom0;
	e->copier_id = 0;
	e->can_map = true;
	if (err)
		fprintf(stderr, "hvperf: in-process environment: %s\n", strerror(-err));
	return err ? -1 : 0;
}

int env_open_hvstub(struct hvperf_env *e, bool checked)
{
	char sock[96], log[96], cmd[512];
	int err = -ECONNREFUSED;

	memset(e, 0, sizeof(*e));
	e->name = checked ? "checked" : "backend";
	snprintf(e->dir, sizeof(e->dir), "/tmp/hvperf.XXXXXX");
	if (!mkdtemp(e->dir)) {
		perror("hvperf: mkdtemp");
		return -1;
	}
	snprintf(sock, sizeof(sock), "%s/hv-stub.sock", e->dir);
	snprintf(log, sizeof(log), "%s/hv-stub.log", e->dir);
	e->daemon = fork();
	if (e->daemon == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0)
			dup2(fd, 2);
		execl(HV_STUB_PATH, "hv-stub", "--socket", sock, "--dom0-mem",
		      "16M", (char *)NULL);
		_exit(127);
	}
	/* Ready once dom0 can attach (10 s at most). */
	for (int i = 0; i < 1000 && err == -ECONNREFUSED; i++) {
		err = sdrv_hvstub_attach(sock, 0, &e->dom0);
		if (err == -ENOENT || err == -ECONNREFUSED) {
			err = -ECONNREFUSED;
			nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
		}
	}
	snprintf(cmd, sizeof(cmd), "%s -s %s create guest --id 1 --mem 16M >/dev/null",
		 HVCTL_PATH, sock);
	if (!err && system(cmd) != 0)
		err = -EIO;
	if (!err)
		err = sdrv_hvstub_attach(sock, 1, &e->domu);
	snprintf(cmd, sizeof(cmd), "%s -s %s create copier --id 2 --mem 16M >/dev/null",
		 HVCTL_PATH, sock);
	if (!err && checked && system(cmd) != 0)
		err = -EIO;
	if (!err && checked)
		err = sdrv_hvstub_attach(sock, 2, &e->dom2);
	snprintf(cmd, sizeof(cmd), "%s -s %s create flooder --id 3 --mem 1M >/dev/null",
		 HVCTL_PATH, sock);
	if (!err && !checked && system(cmd) != 0)
		err = -EIO;
	if (!err && !checked)
		err = sdrv_hvstub_attach(sock, 3, &e->flooder);
	e->copier = checked ? e->dom2 : e->dom0;
	e->copier_id = checked ? 2 : 0;
	e->can_map = !checked;
	if (err) {
		fprintf(stderr, "hvperf: hv-stub at %s: %s (log: %s)\n", sock,
			strerror(-err), log);
		return -1;
	}
	return 0;
}

void env_close(struct hvperf_env *e)
{
	char cmd[96];

	sdrv_platform_detach(e->flooder);
	sdrv_platform_detach(e->dom2);
	sdrv_platform_detach(e->domu);
	sdrv_platform_detach(e->dom0);
	if (e->ih)
		sdrv_inproc_hv_destroy(e->ih);
	if (e->daemon > 0) {
		kill(e->daemon, SIGTERM);
		waitpid(e->daemon, NULL, 0);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "hvperf: could not remove %s\n", e->dir);
	}
}

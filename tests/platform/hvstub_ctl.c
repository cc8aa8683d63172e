/* SPDX-License-Identifier: MIT */
/* tests/platform/hvstub_ctl.c - see hvstub_ctl.h. */
#include "hvstub_ctl.h"
#include <splitdrv/platform.h>
#include <splitdrv/xs.h>
#include "msg.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64], sock[96];
static pid_t daemon_pid;

const char *hvstub_socket(void)
{
	return sock;
}

const char *hvstub_dir(void)
{
	return dir;
}

pid_t hvstub_pid(void)
{
	return daemon_pid;
}

bool hvstub_alive(void)
{
	return daemon_pid > 0 && waitpid(daemon_pid, NULL, WNOHANG) == 0;
}

int hvstub_connect(void)
{
	return hvp_connect(sock);
}

void hvstub_spawn(const char *const *extra_args)
{
	const char *argv[16] = { HV_STUB_PATH, "--socket", sock, "--dom0-mem", "1M" };
	unsigned argc = 5;
	char log[128];

	snprintf(dir, sizeof(dir), "/tmp/hvstub-test.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/hv-stub.sock", dir);
	snprintf(log, sizeof(log), "%s/hv-stub.log", dir);
	for (; extra_args && *extra_args && argc < 15; extra_args++)
		argv[argc++] = *extra_args;
	daemon_pid = fork();
	cr_assert_geq(daemon_pid, 0);
	if (daemon_pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		/* A test killed by its timeout leaves no daemon behind. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);

		if (fd >= 0)
			dup2(fd, 2);
		execv(HV_STUB_PATH, (char *const *)argv);
		_exit(127);
	}
}

void hvstub_start(const char *const *extra_args)
{
	char log[128];

	hvstub_spawn(extra_args);
	snprintf(log, sizeof(log), "%s/hv-stub.log", dir);
	/* Ready when it accepts a connection (up to 10 s on a slow host). */
	for (int i = 0; i < 1000; i++) {
		int s = hvstub_connect();

		if (s >= 0) {
			close(s);
			return;
		}
		cr_assert(hvstub_alive(), "hv-stub exited at start; see %s", log);
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	cr_assert_fail("hv-stub did not listen on %s within 10 s", sock);
}

int hvstub_wait_exit(void)
{
	int status;

	for (int i = 0; i < 1000; i++) {
		if (waitpid(daemon_pid, &status, WNOHANG) == daemon_pid) {
			daemon_pid = -daemon_pid; /* exited: nothing to stop */
			return status;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return -1;
}

void hvstub_stop(void)
{
	char cmd[128];
	int status;

	if (daemon_pid < 0) { /* it exited (hvstub_wait_exit()) */
		daemon_pid = 0;
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
		return;
	}
	if (daemon_pid == 0)
		return;
	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, &status, 0);
	daemon_pid = 0;
	/* A clean exit, sanitizers included (a leak report exits non-zero). */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/hv-stub.log >&2", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "no hv-stub log in %s\n", dir);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "hv-stub did not exit cleanly (status %#x): log above", status);
}

/* One request on a fresh connection; reply payload into @out. */
static int request(uint16_t type, const void *req, size_t len, void *out,
		   size_t cap, size_t *olen)
{
	static _Alignas(8) unsigned char buf[HVP_MAX_MSG];
	struct hvp_hdr rep;
	long n = hvp_request_once(sock, type, req, len, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	memcpy(&rep, buf, sizeof(rep));
	if (out) {
		size_t k = (size_t)n < cap ? (size_t)n : cap;

		memcpy(out, buf + sizeof(rep), k);
		*olen = k;
	}
	return rep.status;
}

int hvstub_create(uint32_t domid, uint32_t frames, bool privileged,
		  uint32_t owner, uint32_t on_crash)
{
	struct hvp_create req = { .domid = domid, .nr_frames = frames,
				  .privileged = privileged, .owner_uid = owner,
				  .on_crash = on_crash };

	snprintf(req.name, sizeof(req.name), "dom%u", domid);
	return request(HVP_CREATE, &req, sizeof(req), NULL, 0, NULL);
}

int hvstub_control(uint16_t type, uint32_t domid)
{
	struct hvp_domid req = { .domid = domid };
	char text[4096];
	size_t len;

	return request(type, &req, sizeof(req), text, sizeof(text), &len);
}

int hvstub_list(char *buf, size_t cap)
{
	size_t len = 0;
	int st = request(HVP_LIST, NULL, 0, buf, cap - 1, &len);

	buf[len] = '\0';
	return st;
}

static char xs_dir[64], xs_sock[128];

struct sdrv_xs *hvstub_start_with_xenstore(const char *xenstored,
					   const char *dom0_mem)
{
	struct sdrv_xs *xs = NULL;
	int err;

	snprintf(xs_dir, sizeof(xs_dir), "/tmp/sdrv-xs-XXXXXX");
	cr_assert_not_null(mkdtemp(xs_dir));
	snprintf(xs_sock, sizeof(xs_sock), "%s/xenstored.sock", xs_dir);
	hvstub_start((const char *const[]){ "--dom0-mem", dom0_mem, "--xenstored",
					    xenstored, "--xenstore", xs_sock,
					    NULL });
	/* The daemon binds its socket before it listens: try for 5 s. */
	err = sdrv_xs_open_socket(xs_sock, &xs);
	for (int i = 0; i < 250 && err; i++) {
		usleep(20000);
		err = sdrv_xs_open_socket(xs_sock, &xs);
	}
	cr_assert_eq(err, 0, "XenStore at %s: %s", xs_sock, strerror(-err));
	return xs;
}

void hvstub_pair_up(struct hvstub_pair *w, const char *xenstored,
		    unsigned guest_frames)
{
	w->dom0_xs = hvstub_start_with_xenstore(xenstored, "8M");
	cr_assert_eq(hvstub_create(1, guest_frames, false, 0, 0), 0);
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 0, &w->dom0), 0);
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 1, &w->guest), 0);
	cr_assert_eq(sdrv_xs_open_ring(w->guest, &w->guest_xs), 0);
}

void hvstub_pair_down(struct hvstub_pair *w)
{
	sdrv_xs_close(w->guest_xs);
	sdrv_xs_close(w->dom0_xs);
	sdrv_platform_detach(w->guest);
	sdrv_platform_detach(w->dom0);
	*w = (struct hvstub_pair){ 0 };
	hvstub_stop_with_xenstore();
}

const char *hvstub_xenstore_socket(void)
{
	return xs_sock;
}

void hvstub_stop_with_xenstore(void)
{
	hvstub_stop();
	unlink(xs_sock);
	rmdir(xs_dir);
}

/* SPDX-License-Identifier: MIT */
/*
 * XenStore across processes: hv-stub runs sdrv-xenstored in its own
 * domain (or a test starts one), introduces each domain it creates and
 * releases each it destroys; guests are processes that attach to hv-stub
 * and talk to XenStore over their ring page and event channel.  Also: a
 * guest killed mid-conversation, a daemon restarted from its state file
 * under running guests, and a XenStore daemon that lies to hv-stub.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <splitdrv/platform.h>
#include <splitdrv/xs.h>

#include "../platform/hvstub_ctl.h"

#define XS_STUBDOM 63u /* hv-stub's default XenStore domain */

static char dir[64], xs_sock[128];

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000,
				      .tv_nsec = ms % 1000 * 1000000 },
		  NULL);
}

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hvstub-xs.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(xs_sock, sizeof(xs_sock), "%s/xenstored.sock", dir);
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* A privileged (dom0) client on the daemon's socket, once it listens. */
static struct sdrv_xs *dom0_client(void)
{
	struct sdrv_xs *xs = NULL;

	for (int i = 0; i < 1000; i++) {
		if (sdrv_xs_open_socket(xs_sock, &xs) == 0)
			return xs;
		sleep_ms(10);
	}
	cr_assert_fail("XenStore did not listen on %s within 10 s", xs_sock);
	return NULL;
}

/* Wait up to 10 s for @domid to be (or not be) introduced. */
static void wait_introduced(struct sdrv_xs *xs, sdrv_domid_t domid, int want)
{
	int got = -1;

	for (int i = 0; i < 1000; i++) {
		got = sdrv_xs_is_domain_introduced(xs, domid);
		if (got == want)
			return;
		sleep_ms(10);
	}
	cr_assert_fail("domain %u: introduced=%d, expected %d within 10 s",
		       domid, got, want);
}

/* The next event of @xs's callback-less watches, within 10 s. */
static void expect_event(struct sdrv_xs *xs, const char *path,
			 const char *token)
{
	struct sdrv_xs_event ev;

	cr_assert_eq(sdrv_xs_next_event(xs, &ev, 10000), 1,
		     "no watch event for %s", path);
	cr_assert_str_eq(ev.path, path);
	cr_assert_str_eq(ev.token, token);
}

static void read_expect(struct sdrv_xs *xs, const char *path, const char *want)
{
	char buf[256];
	int n = sdrv_xs_read(xs, 0, path, buf, sizeof(buf));

	cr_assert_eq(n, (int)strlen(want), "%s: read gave %d", path, n);
	cr_assert_str_eq(buf, want);
}

/* A guest process: attach as @id, open XenStore over the ring, run @body,
 * then let go of the domain: detach (it lives on) or, with @shutdown, shut
 * it down.  Its exit status says which step failed (0: none). */
typedef int (*guest_fn)(struct sdrv_xs *xs, int ctl);

static pid_t start_guest_then(sdrv_domid_t id, guest_fn body, int *ctl,
			      bool shutdown)
{
	int sv[2];
	pid_t pid;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sdrv_platform *p;
		struct sdrv_xs *xs;
		int st;

		close(sv[0]);
		if (sdrv_hvstub_attach(hvstub_socket(), id, &p))
			_exit(100);
		if (sdrv_xs_open_ring(p, &xs))
			_exit(101);
		st = body(xs, sv[1]);
		sdrv_xs_close(xs);
		if (shutdown)
			sdrv_platform_shutdown(p);
		else
			sdrv_platform_detach(p);
		_exit(st);
	}
	close(sv[1]);
	*ctl = sv[0];
	return pid;
}

/* A guest that powers off when @body is done. */
static pid_t start_guest(sdrv_domid_t id, guest_fn body, int *ctl)
{
	return start_guest_then(id, body, ctl, true);
}

static void expect_exit(pid_t pid, int want)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "guest killed (status %#x)", status);
	cr_assert_eq(WEXITSTATUS(status), want, "guest failed at step %d",
		     WEXITSTATUS(status));
}

/* One byte across the control socket: a step done, or a go-ahead. */
static void signal_peer(int ctl)
{
	cr_assert_eq(write(ctl, "!", 1), 1);
}

static bool wait_peer(int ctl)
{
	char c;

	return read(ctl, &c, 1) == 1;
}

/* Whether hv-stub's log has @text. */
static bool log_has(const char *text)
{
	char path[128], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/hv-stub.log", hvstub_dir());
	f = fopen(path, "r");
	if (!f)
		return false;
	/* line by line: the log of a run with hundreds of domains is long */
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

static void start_with_daemon(void)
{
	make_dir();
	hvstub_start((const char *const[]){ "--xenstored", XENSTORED_PATH,
					    "--xenstore", xs_sock, NULL });
}

static void stop_and_check_daemon(void)
{
	bool clean;

	/* hv-stub stops its daemon, which must exit 0: sanitizers
	 * included.  Look before hvstub_stop() removes the log. */
	kill(hvstub_pid(), SIGTERM);
	for (int i = 0; i < 1000 && !log_has("exited with") &&
			!log_has("killed by"); i++)
		sleep_ms(10);
	clean = log_has("exited with status 0");
	if (!clean) { /* say why before the log goes */
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "tail -40 %s/hv-stub.log >&2",
			 hvstub_dir());
		if (system(cmd) != 0)
			cr_log_warn("no hv-stub log");
	}
	hvstub_stop();
	remove_dir();
	cr_assert(clean, "sdrv-xenstored did not exit cleanly under hv-stub");
}

/* ---- a guest's first conversation ---------------------------------------- */

static int guest_hello(struct sdrv_xs *xs, int ctl)
{
	char buf[64];

	(void)ctl;
	if (sdrv_xs_read(xs, 0, "name", buf, sizeof(buf)) != 4 ||
	    strcmp(buf, "dom5") != 0)
		return 1;
	if (sdrv_xs_get_domain_path(xs, 5, buf, sizeof(buf)) < 0 ||
	    strcmp(buf, "/local/domain/5") != 0)
		return 2;
	if (sdrv_xs_write_str(xs, 0, "data/hello", "world"))
		return 3;
	/* outside its home: refused */
	if (sdrv_xs_write_str(xs, 0, "/local/domain/0/x", "no") != -SDRV_EACCES)
		return 4;
	return 0;
}

/* The domain's next process: what the first left is there, over the same
 * ring and XenStore channel. */
static int guest_again(struct sdrv_xs *xs, int ctl)
{
	char buf[64];

	(void)ctl;
	if (sdrv_xs_read(xs, 0, "data/hello", buf, sizeof(buf)) != 5 ||
	    strcmp(buf, "world") != 0)
		return 1;
	return 0;
}

Test(hvstub_xs, hvstub_introduces_guests_and_releases_them)
{
	struct sdrv_xs *dom0;
	struct sdrv_xs_perm perm;
	char buf[32];
	pid_t guest;
	int ctl;

	start_with_daemon();
	dom0 = dom0_client();
	cr_assert_eq(sdrv_xs_watch(dom0, "@releaseDomain", "rel", NULL, NULL), 0);
	expect_event(dom0, "@releaseDomain", "rel");
	cr_assert_eq(hvstub_create(5, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	wait_introduced(dom0, 5, 1);
	/* hv-stub made its home, as libxl does */
	read_expect(dom0, "/local/domain/5/name", "dom5");
	read_expect(dom0, "/local/domain/5/domid", "5");
	cr_assert_eq(sdrv_xs_get_perms(dom0, 0, "/local/domain/5", &perm, 1), 1);
	cr_assert_eq(perm.domid, 5);
	cr_assert_eq(sdrv_xs_watch(dom0, "/local/domain/5/data", "d", NULL,
				   NULL), 0);
	expect_event(dom0, "/local/domain/5/data", "d");

	/* The first process detaches: the domain lives on, introduced. */
	guest = start_guest_then(5, guest_hello, &ctl, false);
	expect_event(dom0, "/local/domain/5/data/hello", "d");
	read_expect(dom0, "/local/domain/5/data/hello", "world");
	expect_exit(guest, 0);
	close(ctl);
	cr_assert_eq(sdrv_xs_is_domain_introduced(dom0, 5), 1);
	read_expect(dom0, "/local/domain/5/name", "dom5");

	/* The next one finds its XenStore as it was, then shuts down. */
	guest = start_guest(5, guest_again, &ctl);
	expect_exit(guest, 0);
	close(ctl);

	/* it shut down: hv-stub destroyed it and released it */
	expect_event(dom0, "@releaseDomain", "rel");
	wait_introduced(dom0, 5, 0);
	for (int i = 0; i < 1000 && sdrv_xs_read(dom0, 0, "/local/domain/5",
						 buf, sizeof(buf)) != -SDRV_ENOENT;
	     i++)
		sleep_ms(10);
	cr_assert_eq(sdrv_xs_read(dom0, 0, "/local/domain/5", buf, sizeof(buf)),
		     -SDRV_ENOENT);
	sdrv_xs_close(dom0);
	stop_and_check_daemon();
}

/* ---- a guest killed mid-conversation ------------------------------------- */

static int guest_chatter(struct sdrv_xs *xs, int ctl)
{
	signal_peer(ctl);
	for (unsigned i = 0;; i++)
		if (sdrv_xs_write_uint(xs, 0, "data/n", i))
			return 1;
}

static int guest_patient(struct sdrv_xs *xs, int ctl)
{
	if (sdrv_xs_write_str(xs, 0, "data/before", "1"))
		return 1;
	signal_peer(ctl);
	if (!wait_peer(ctl))
		return 2;
	if (sdrv_xs_write_str(xs, 0, "data/after", "1"))
		return 3;
	return 0;
}

Test(hvstub_xs, a_killed_guest_is_released_and_others_carry_on)
{
	struct sdrv_xs *dom0;
	pid_t chatty, patient;
	int ctl5, ctl6;

	start_with_daemon();
	dom0 = dom0_client();
	cr_assert_eq(hvstub_create(5, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(hvstub_create(6, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	wait_introduced(dom0, 5, 1);
	wait_introduced(dom0, 6, 1);
	chatty = start_guest(5, guest_chatter, &ctl5);
	patient = start_guest(6, guest_patient, &ctl6);
	cr_assert(wait_peer(ctl5) && wait_peer(ctl6));
	sleep_ms(50); /* let it be mid-request */
	kill(chatty, SIGKILL);
	waitpid(chatty, NULL, 0);
	wait_introduced(dom0, 5, 0);
	/* the other guest and the daemon never noticed (its home goes when
	 * it exits: watch the write rather than read it afterwards) */
	cr_assert_eq(sdrv_xs_watch(dom0, "/local/domain/6/data/after", "a",
				   NULL, NULL), 0);
	expect_event(dom0, "/local/domain/6/data/after", "a");
	signal_peer(ctl6);
	expect_event(dom0, "/local/domain/6/data/after", "a");
	expect_exit(patient, 0);
	close(ctl5);
	close(ctl6);
	sdrv_xs_close(dom0);
	stop_and_check_daemon();
}

/* ---- the daemon restarted under a running guest ------------------------ */

static pid_t start_daemon(const char *state)
{
	char domid[8];
	pid_t pid;

	snprintf(domid, sizeof(domid), "%u", XS_STUBDOM);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(XENSTORED_PATH, XENSTORED_PATH, "--hv-stub",
		      hvstub_socket(), "--domid", domid, "--socket", xs_sock,
		      "--state", state, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void stop_daemon(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "sdrv-xenstored exit status %#x", status);
	unlink(xs_sock);
}

static int guest_across_restart(struct sdrv_xs *xs, int ctl)
{
	char buf[16];

	if (sdrv_xs_watch(xs, "data", "w", NULL, NULL))
		return 1;
	if (sdrv_xs_write_str(xs, 0, "data/a", "1"))
		return 2;
	signal_peer(ctl);
	if (!wait_peer(ctl)) /* the daemon restarts meanwhile */
		return 3;
	if (sdrv_xs_read(xs, 0, "data/a", buf, sizeof(buf)) != 1)
		return 4;
	if (sdrv_xs_write_str(xs, 0, "data/b", "2"))
		return 5;
	return 0;
}

Test(hvstub_xs, a_restarted_daemon_keeps_its_guests)
{
	char state[160];
	struct sdrv_xs *dom0;
	pid_t daemon, guest;
	int ctl;

	make_dir();
	snprintf(state, sizeof(state), "%s/state", dir);
	/* hv-stub introduces to a daemon it does not run */
	hvstub_start((const char *const[]){ "--xenstore", xs_sock, NULL });
	daemon = start_daemon(state);
	dom0 = dom0_client();
	cr_assert_eq(hvstub_create(5, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	wait_introduced(dom0, 5, 1);
	guest = start_guest(5, guest_across_restart, &ctl);
	cr_assert(wait_peer(ctl));
	sdrv_xs_close(dom0);

	stop_daemon(daemon);
	daemon = start_daemon(state);
	dom0 = dom0_client();
	cr_assert_eq(sdrv_xs_is_domain_introduced(dom0, 5), 1);
	cr_assert_eq(sdrv_xs_watch(dom0, "/local/domain/5/data/b", "b", NULL,
				   NULL), 0);
	expect_event(dom0, "/local/domain/5/data/b", "b");
	signal_peer(ctl);
	expect_event(dom0, "/local/domain/5/data/b", "b");
	expect_exit(guest, 0);
	/* hv-stub reconnects for the next domain */
	cr_assert_eq(hvstub_create(6, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	wait_introduced(dom0, 6, 1);
	close(ctl);
	sdrv_xs_close(dom0);
	stop_daemon(daemon);
	hvstub_stop();
	remove_dir();
}

/* ---- a XenStore daemon that lies to hv-stub -------------------------- */

static int fake_listen(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(s, 0);
	strcpy(sa.sun_path, xs_sock);
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(s, 4), 0);
	return s;
}

/* Accept hv-stub's connection (within 10 s) and read one request. */
static int fake_accept(int ls)
{
	struct timeval tv = { .tv_sec = 10 };
	int c;

	setsockopt(ls, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	c = accept(ls, NULL, NULL);
	cr_assert_geq(c, 0, "hv-stub did not connect to XenStore");
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return c;
}

static void fake_read(int c, struct sdrv_xs_msg *h, char *payload)
{
	cr_assert_eq(recv(c, h, sizeof(*h), MSG_WAITALL), (ssize_t)sizeof(*h));
	cr_assert_leq(h->len, 256u);
	cr_assert_eq(recv(c, payload, h->len, MSG_WAITALL), (ssize_t)h->len);
}

static void fake_reply(int c, const struct sdrv_xs_msg *req, uint32_t type,
		       const char *payload, uint32_t len)
{
	struct sdrv_xs_msg h = *req;

	h.type = type;
	h.len = len;
	cr_assert_eq(send(c, &h, sizeof(h), MSG_NOSIGNAL), (ssize_t)sizeof(h));
	if (len)
		cr_assert_eq(send(c, payload, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Whether hv-stub closes @c (what it had queued may come first). */
static bool closed_by_peer(int c)
{
	char b[256];
	ssize_t n;

	while ((n = recv(c, b, sizeof(b), 0)) > 0)
		;
	return n == 0;
}

Test(hvstub_xs, a_lying_xenstore_daemon_costs_hvstub_nothing)
{
	struct sdrv_xs_msg h, lie;
	char payload[256];
	int ls, c;

	make_dir();
	ls = fake_listen();
	hvstub_start((const char *const[]){ "--xenstore", xs_sock,
					    "--xenstore-domid", "0", NULL });
	cr_assert_eq(hvstub_create(5, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);

	/* a reply longer than the protocol allows */
	c = fake_accept(ls);
	fake_read(c, &h, payload);
	cr_assert_eq(h.type, SDRV_XS_MKDIR);
	cr_assert_str_eq(payload, "/local/domain/5");
	lie = h;
	lie.len = 0x7fffffff;
	cr_assert_eq(send(c, &lie, sizeof(lie), MSG_NOSIGNAL), (ssize_t)sizeof(lie));
	cr_assert(closed_by_peer(c));
	close(c);

	/* hv-stub comes back and starts over; a reply to nothing it sent */
	c = fake_accept(ls);
	fake_read(c, &h, payload);
	cr_assert_eq(h.type, SDRV_XS_MKDIR, "the queue was not sent again");
	lie = h;
	lie.req_id ^= 0x5a5a;
	fake_reply(c, &lie, SDRV_XS_MKDIR, "OK", 3);
	cr_assert(closed_by_peer(c));
	close(c);

	/* third time: honest replies, one an unprintable error name */
	c = fake_accept(ls);
	for (unsigned want = 0; want < 5; want++) {
		static const uint32_t order[] = {
			SDRV_XS_MKDIR, SDRV_XS_SET_PERMS, SDRV_XS_WRITE,
			SDRV_XS_WRITE, SDRV_XS_INTRODUCE };

		fake_read(c, &h, payload);
		cr_assert_eq(h.type, order[want]);
		if (h.type == SDRV_XS_INTRODUCE) {
			/* "5\0<frame>\0<port>\0" */
			cr_assert_str_eq(payload, "5");
			fake_reply(c, &h, SDRV_XS_ERROR, "E\x01\x7f" "BAD", 7);
		} else {
			fake_reply(c, &h, h.type, "OK", 3);
		}
	}
	for (int i = 0; i < 1000 && !log_has("XenStore refused INTRODUCE: E??BAD"); i++)
		sleep_ms(10);
	cr_assert(log_has("XenStore refused INTRODUCE: E??BAD"));
	cr_assert(hvstub_alive());
	/* the domain itself is fine */
	cr_assert_eq(hvstub_control(HVP_SHOW, 5), 0);
	close(c);
	close(ls);
	hvstub_stop();
	remove_dir();
}

/* ---- XenStore that fails is an error the user sees ---------------------- */

Test(hvstub_xs, a_xenstore_daemon_that_fails_to_start_stops_hvstub)
{
	int status;

	make_dir();
	hvstub_spawn((const char *const[]){ "--xenstored", "/bin/false",
					    "--xenstore", xs_sock, NULL });
	status = hvstub_wait_exit();
	cr_assert_neq(status, -1, "hv-stub kept running without XenStore");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1,
		  "hv-stub exit status %#x", status);
	cr_assert(log_has("exited before it was ready"),
		  "hv-stub's log does not say why it stopped");
	hvstub_stop();
	remove_dir();
}

/* The pid hv-stub logged for the daemon it started. */
static pid_t daemon_pid_from_log(void)
{
	char path[128], line[512];
	pid_t pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/hv-stub.log", hvstub_dir());
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (!pid && fgets(line, sizeof(line), f)) {
		const char *at = strstr(line, "started (pid ");

		if (at)
			pid = (pid_t)atoi(at + strlen("started (pid "));
	}
	fclose(f);
	return pid;
}

Test(hvstub_xs, creates_fail_once_the_xenstore_daemon_died)
{
	struct sdrv_xs *dom0;
	pid_t xsd;
	int st = 0;

	start_with_daemon();
	dom0 = dom0_client(); /* it is up */
	sdrv_xs_close(dom0);
	cr_assert_eq(hvstub_create(5, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	xsd = daemon_pid_from_log();
	cr_assert_gt(xsd, 0, "no daemon pid in hv-stub's log");
	cr_assert_eq(kill(xsd, SIGKILL), 0);
	for (int i = 0; i < 1000; i++) {
		st = hvstub_create(6, 64, false, 0, HVP_ON_CRASH_DEFAULT);
		if (st != 0)
			break;
		hvstub_control(HVP_DESTROY, 6);
		sleep_ms(10);
	}
	cr_assert_eq(st, -EHOSTDOWN, "create after XenStore died gave %d", st);
	cr_assert(log_has("XenStore is down"));
	hvstub_stop();
	remove_dir();
}

Test(hvstub_xs, xenstores_domain_is_not_destroyed_under_its_guests)
{
	struct sdrv_xs *dom0;

	start_with_daemon();
	dom0 = dom0_client();
	cr_assert_eq(hvstub_create(5, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	wait_introduced(dom0, 5, 1);
	cr_assert_eq(hvstub_control(HVP_DESTROY, XS_STUBDOM), -EBUSY);
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, "/still", "serving"), 0);
	cr_assert_eq(hvstub_control(HVP_DESTROY, 5), 0);
	wait_introduced(dom0, 5, 0);
	sdrv_xs_close(dom0);
	stop_and_check_daemon();
}

/* ---- Xen's domain id range ------------------------------------------------ */

/* Ids 100..354 and the last one Xen allows: past the old limit of 63. */
static sdrv_domid_t many_id(unsigned i)
{
	return i == 255 ? (sdrv_domid_t)HVP_MAX_DOMID : (sdrv_domid_t)(100 + i);
}

Test(hvstub_xs, two_hundred_fifty_six_domains_come_and_go, .timeout = 300)
{
	struct sdrv_xs *dom0;
	char path[64], want[16];

	start_with_daemon();
	dom0 = dom0_client();
	for (unsigned i = 0; i < 256; i++)
		cr_assert_eq(hvstub_create(many_id(i), 32, false, 0,
					   HVP_ON_CRASH_DEFAULT),
			     0, "create domain %u", many_id(i));
	cr_assert_eq(hvstub_create(HVP_MAX_DOMID + 1, 32, false, 0,
				   HVP_ON_CRASH_DEFAULT),
		     -EINVAL, "past Xen's range");
	for (unsigned i = 0; i < 256; i++)
		wait_introduced(dom0, many_id(i), 1);
	/* each is attached by a process and talks to XenStore over its ring */
	for (unsigned i = 0; i < 256; i++) {
		struct sdrv_platform *p;
		struct sdrv_xs *xs;
		char buf[16];

		cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), many_id(i), &p),
			     0, "attach %u", many_id(i));
		cr_assert_eq(sdrv_xs_open_ring(p, &xs), 0, "ring of %u",
			     many_id(i));
		snprintf(want, sizeof(want), "%u", many_id(i));
		cr_assert_eq(sdrv_xs_write_str(xs, 0, "data/id", want), 0);
		cr_assert_eq(sdrv_xs_read(xs, 0, "domid", buf, sizeof(buf)),
			     (int)strlen(want));
		cr_assert_str_eq(buf, want);
		sdrv_xs_close(xs);
		sdrv_platform_detach(p);
	}
	for (unsigned i = 0; i < 256; i += 51) {
		snprintf(path, sizeof(path), "/local/domain/%u/data/id",
			 many_id(i));
		snprintf(want, sizeof(want), "%u", many_id(i));
		read_expect(dom0, path, want);
	}
	for (unsigned i = 0; i < 256; i++)
		cr_assert_eq(hvstub_control(HVP_DESTROY, many_id(i)), 0);
	for (unsigned i = 0; i < 256; i++)
		wait_introduced(dom0, many_id(i), 0);
	sdrv_xs_close(dom0);
	stop_and_check_daemon();
}

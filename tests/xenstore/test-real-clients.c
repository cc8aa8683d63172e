/* SPDX-License-Identifier: MIT */
/*
 * Clients no one here wrote, against the sdrv-xenstored program: Debian's
 * xenstore-utils (xenstore-write, -read, -ls, -list, -exists, -chmod, -rm,
 * -watch) and Xen's own test-xenstore (xen-utils-4.17), all over the
 * socket named by XENSTORED_PATH, as on a Xen host.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef XENSTORED_BIN
#error "XENSTORED_BIN: the daemon under test"
#endif
#define TEST_XENSTORE "/usr/lib/xen-4.17/bin/test-xenstore"

static char dir[64], sock[128];
static pid_t daemon_pid;

static void setup(void)
{
	char cmd[256];

	if (access("/usr/bin/xenstore-read", X_OK))
		cr_skip_test("xenstore-utils not installed "
			     "(apt-get install xenstore-utils)");
	snprintf(dir, sizeof(dir), "/tmp/xs-real-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/socket", dir);
	setenv("XENSTORED_PATH", sock, 1);
	daemon_pid = fork();
	cr_assert_geq(daemon_pid, 0);
	if (daemon_pid == 0) {
		execl(XENSTORED_BIN, XENSTORED_BIN, "--socket", sock,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		snprintf(cmd, sizeof(cmd), "xenstore-exists / 2>/dev/null");
		if (system(cmd) == 0)
			return;
		usleep(10000);
	}
	cr_assert_fail("sdrv-xenstored did not come up on %s", sock);
}

static void teardown(void)
{
	int status;

	if (daemon_pid <= 0)
		return;
	kill(daemon_pid, SIGTERM);
	cr_assert_eq(waitpid(daemon_pid, &status, 0), daemon_pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the daemon exits cleanly (and leak-free under ASan)");
	rmdir(dir);
}

TestSuite(xs_real, .init = setup, .fini = teardown, .timeout = 120);

/* Run @cmd, return its stdout (static buffer) and exit status. */
static const char *run(const char *cmd, int *status)
{
	static char out[8192];
	FILE *f = popen(cmd, "r");
	size_t n;

	cr_assert_not_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	*status = pclose(f);
	return out;
}

Test(xs_real, xenstore_utils_work)
{
	int st;
	const char *out;

	run("xenstore-write /vm/1/name guest-one /vm/1/mem 512", &st);
	cr_assert_eq(st, 0);
	out = run("xenstore-read /vm/1/name", &st);
	cr_assert_eq(st, 0);
	cr_assert_str_eq(out, "guest-one\n");
	out = run("xenstore-list /vm/1", &st);
	cr_assert_str_eq(out, "name\nmem\n");
	run("xenstore-exists /vm/1/mem", &st);
	cr_assert_eq(st, 0);
	run("xenstore-exists /vm/1/nothing 2>/dev/null", &st);
	cr_assert_neq(st, 0);
	run("xenstore-chmod /vm/1/mem b3 r5", &st);
	cr_assert_eq(st, 0);
	out = run("xenstore-ls -p /vm/1", &st);
	cr_assert_eq(st, 0);
	cr_assert_not_null(strstr(out, "(b3,r5)"), "%s", out);
	out = run("xenstore-ls -f /vm", &st);
	cr_assert_str_eq(out, "/vm/1 = \"\"\n/vm/1/name = \"guest-one\"\n"
			      "/vm/1/mem = \"512\"\n");
	run("xenstore-rm /vm/1/name", &st);
	cr_assert_eq(st, 0);
	run("xenstore-read /vm/1/name 2>/dev/null", &st);
	cr_assert_neq(st, 0);
}

Test(xs_real, xenstore_watch_sees_a_change)
{
	int st;
	const char *out;

	/* -n 2: the registration event, then the write's. */
	out = run("(sleep 0.3; xenstore-write /watched/x 1) & "
		  "timeout 10 xenstore-watch -n 2 /watched; wait",
		  &st);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_str_eq(out, "/watched\n/watched/x\n");
}

Test(xs_real, xen_test_xenstore_passes)
{
	int st;
	const char *out;

	if (access(TEST_XENSTORE, X_OK))
		cr_skip_test("%s missing (apt-get install xen-utils-4.17)",
			     TEST_XENSTORE);
	out = run(TEST_XENSTORE " 2>&1", &st);
	cr_assert_eq(st, 0, "test-xenstore failed:\n%s", out);
	cr_assert_not_null(strstr(out, "ta err"), "%s", out);
	out = run(TEST_XENSTORE " -i 20 -r 2 2>&1", &st);
	cr_assert_eq(st, 0, "random mode failed:\n%s", out);
}

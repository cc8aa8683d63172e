/* SPDX-License-Identifier: MIT */
/*
 * sdrv-xenstored's semantics through libsplitdrv's client, over the socket
 * (dom0) and over guests' ring pages (unprivileged domains, in-process
 * platform): tree operations, permissions, relative paths, watches,
 * transactions, domain introduction and release, XenBus, save and restore.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <splitdrv/xenbus.h>

#include "xs_env.h"

static struct xs_env env;

static void setup(void)
{
	xs_env_start(&env, NULL);
}

static void teardown(void)
{
	xs_env_stop(&env);
}

TestSuite(xs, .init = setup, .fini = teardown, .timeout = 60);

Test(xs, write_read_directory_rm)
{
	struct sdrv_xs *xs = xs_env_dom0(&env);
	char buf[64];

	cr_assert_eq(sdrv_xs_write_str(xs, 0, "/a/b/c", "hello"), 0);
	cr_assert_eq(sdrv_xs_read(xs, 0, "/a/b/c", buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "hello");
	cr_assert_eq(sdrv_xs_read(xs, 0, "/a/b", buf, sizeof(buf)), 0,
		     "parents are created empty");
	cr_assert_eq(sdrv_xs_write_str(xs, 0, "/a/b/d", "x"), 0);
	cr_assert_eq(sdrv_xs_directory(xs, 0, "/a/b", buf, sizeof(buf)), 2);
	cr_assert_eq(memcmp(buf, "c\0d\0", 4), 0);
	cr_assert_eq(sdrv_xs_rm(xs, 0, "/a/b"), 0);
	cr_assert_eq(sdrv_xs_read(xs, 0, "/a/b/c", buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(sdrv_xs_rm(xs, 0, "/a/nothere"), 0,
		     "removing a missing child of an existing node is fine");
	cr_assert_eq(sdrv_xs_rm(xs, 0, "/nothere/x"), -ENOENT);
	cr_assert_eq(sdrv_xs_rm(xs, 0, "/"), -EINVAL);
	cr_assert_eq(sdrv_xs_mkdir(xs, 0, "/m/n"), 0);
	cr_assert_eq(sdrv_xs_mkdir(xs, 0, "/m/n"), 0, "mkdir of an existing node");
	sdrv_xs_close(xs);
}

/* Many requests in one write, far past the outstanding-reply bound: the
 * daemon keeps what it read but may not handle yet, and answers all of
 * them, in order, as the client reads (no later read announces them). */
Test(xs, pipelined_requests_past_the_reply_bound_are_all_answered)
{
	enum { N = 300 };
	static char out[N * 48];
	size_t len = 0;
	int fd = xs_raw_connect(&env);

	for (uint32_t i = 0; i < N; i++) {
		char payload[32];
		int n = snprintf(payload, sizeof(payload), "/pipe/%u", i) + 1;
		struct sdrv_xs_msg h = { .type = SDRV_XS_WRITE, .req_id = i,
					 .len = (uint32_t)n + 1 };

		memcpy(out + len, &h, sizeof(h));
		memcpy(out + len + sizeof(h), payload, (size_t)n);
		out[len + sizeof(h) + (size_t)n] = 'v';
		len += sizeof(h) + h.len;
	}
	cr_assert_eq(write(fd, out, len), (ssize_t)len);
	for (uint32_t i = 0; i < N; i++) {
		struct sdrv_xs_msg h;
		char buf[8];

		cr_assert_eq(recv(fd, &h, sizeof(h), MSG_WAITALL),
			     (ssize_t)sizeof(h), "reply %u missing", i);
		cr_assert_eq(h.req_id, i);
		cr_assert_eq(h.type, SDRV_XS_WRITE);
		cr_assert_eq(h.len, 3u);
		cr_assert_eq(recv(fd, buf, 3, MSG_WAITALL), 3);
	}
	close(fd);
}

Test(xs, directory_part_serves_long_lists)
{
	struct sdrv_xs *xs = xs_env_dom0(&env);
	static char buf[64 * 1024];
	char path[64];
	size_t off = 0;
	int n;

	for (int i = 0; i < 600; i++) {
		snprintf(path, sizeof(path), "/big/child-number-%d", i);
		cr_assert_eq(sdrv_xs_write_str(xs, 0, path, ""), 0);
	}
	n = sdrv_xs_directory(xs, 0, "/big", buf, sizeof(buf));
	cr_assert_eq(n, 600, "got %d", n);
	for (int i = 0; i < 600; i++) {
		char want[32];

		snprintf(want, sizeof(want), "child-number-%d", i);
		cr_assert_str_eq(buf + off, want);
		off += strlen(want) + 1;
	}
	cr_assert_eq(sdrv_xs_directory(xs, 0, "/big", buf, 100), -ERANGE);
	sdrv_xs_close(xs);
}

Test(xs, permissions_get_set)
{
	struct sdrv_xs *xs = xs_env_dom0(&env);
	struct sdrv_xs_perm set[3] = { { 5, SDRV_XS_PERM_NONE },
				       { 6, SDRV_XS_PERM_READ },
				       { 7, SDRV_XS_PERM_BOTH } };
	struct sdrv_xs_perm got[4];

	cr_assert_eq(sdrv_xs_write_str(xs, 0, "/p", "v"), 0);
	cr_assert_eq(sdrv_xs_set_perms(xs, 0, "/p", set, 3), 0);
	cr_assert_eq(sdrv_xs_get_perms(xs, 0, "/p", got, 4), 3);
	for (int i = 0; i < 3; i++) {
		cr_expect_eq(got[i].domid, set[i].domid);
		cr_expect_eq(got[i].perm, set[i].perm);
	}
	cr_assert_eq(sdrv_xs_write_str(xs, 0, "/p/child", "v"), 0);
	cr_assert_eq(sdrv_xs_get_perms(xs, 0, "/p/child", got, 4), 3,
		     "a new node inherits its parent's permissions");
	sdrv_xs_close(xs);
}

Test(xs, guest_relative_paths_and_ownership)
{
	struct xs_guest g;
	struct sdrv_xs *dom0 = xs_env_dom0(&env);
	struct sdrv_xs_perm got[2];
	char buf[64];

	xs_guest_start(&env, &g, 3);
	cr_assert_eq(sdrv_xs_write_str(g.xs, 0, "data/key", "v1"), 0);
	cr_assert_eq(sdrv_xs_read(dom0, 0, "/local/domain/3/data/key", buf,
				  sizeof(buf)),
		     2);
	cr_assert_str_eq(buf, "v1");
	cr_assert_eq(sdrv_xs_get_perms(dom0, 0, "/local/domain/3/data/key", got,
				       2),
		     1);
	cr_assert_eq(got[0].domid, 3, "the creating guest owns its nodes");
	cr_assert_eq(sdrv_xs_get_domain_path(dom0, 3, buf, sizeof(buf)), 16);
	cr_assert_str_eq(buf, "/local/domain/3");
	cr_assert_eq(sdrv_xs_is_domain_introduced(dom0, 3), 1);
	cr_assert_eq(sdrv_xs_is_domain_introduced(dom0, 9), 0);
	xs_guest_stop(&env, &g);
	cr_assert_eq(sdrv_xs_is_domain_introduced(dom0, 3), 0);
	sdrv_xs_close(dom0);
}

Test(xs, guest_permissions_enforced)
{
	struct xs_guest a, b;
	struct sdrv_xs *dom0 = xs_env_dom0(&env);
	struct sdrv_xs_perm ro[2] = { { 0, SDRV_XS_PERM_NONE },
				      { 4, SDRV_XS_PERM_READ } };
	char buf[64];

	xs_guest_start(&env, &a, 3);
	xs_guest_start(&env, &b, 4);
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, "/shared/x", "dom0"), 0);
	cr_assert_eq(sdrv_xs_read(a.xs, 0, "/shared/x", buf, sizeof(buf)),
		     -EACCES);
	cr_assert_eq(sdrv_xs_read(a.xs, 0, "/shared/missing", buf, sizeof(buf)),
		     -EACCES, "missing under an unreadable node: EACCES");
	cr_assert_eq(sdrv_xs_set_perms(dom0, 0, "/shared/x", ro, 2), 0);
	cr_assert_eq(sdrv_xs_read(b.xs, 0, "/shared/x", buf, sizeof(buf)), 4);
	cr_assert_eq(sdrv_xs_write_str(b.xs, 0, "/shared/x", "b"), -EACCES);
	cr_assert_eq(sdrv_xs_read(a.xs, 0, "/local/domain/4", buf, sizeof(buf)),
		     -EACCES, "one guest cannot read another's home");
	xs_guest_stop(&env, &a);
	xs_guest_stop(&env, &b);
	sdrv_xs_close(dom0);
}

static int count_fn_calls;
static void count_fn(void *arg, const char *path, const char *token)
{
	(void)arg;
	(void)path;
	(void)token;
	count_fn_calls++;
}

Test(xs, watches_fire_on_registration_changes_and_removal)
{
	struct sdrv_xs *w = xs_env_dom0(&env), *xs = xs_env_dom0(&env);
	struct sdrv_xs_event ev;

	cr_assert_eq(sdrv_xs_watch(w, "/w", "tok", NULL, NULL), 0);
	cr_assert_eq(sdrv_xs_next_event(w, &ev, 5000), 1);
	cr_assert_str_eq(ev.path, "/w");
	cr_assert_str_eq(ev.token, "tok");
	cr_assert_eq(sdrv_xs_write_str(xs, 0, "/w/a/b", "1"), 0);
	cr_assert_eq(sdrv_xs_next_event(w, &ev, 5000), 1);
	cr_assert_str_eq(ev.path, "/w/a/b");
	cr_assert_eq(sdrv_xs_write_str(xs, 0, "/other", "1"), 0);
	cr_assert_eq(sdrv_xs_rm(xs, 0, "/w"), 0);
	cr_assert_eq(sdrv_xs_next_event(w, &ev, 5000), 1);
	cr_assert_str_eq(ev.path, "/w", "no event for /other; rm of /w seen");
	cr_assert_eq(sdrv_xs_next_event(w, &ev, 0), 0);

	/* A watch below a removed subtree fires with its own path. */
	cr_assert_eq(sdrv_xs_write_str(xs, 0, "/deep/a/b/c", "1"), 0);
	cr_assert_eq(sdrv_xs_watch(w, "/deep/a/b", "t2", NULL, NULL), 0);
	cr_assert_eq(sdrv_xs_next_event(w, &ev, 5000), 1);
	cr_assert_eq(sdrv_xs_rm(xs, 0, "/deep"), 0);
	cr_assert_eq(sdrv_xs_next_event(w, &ev, 5000), 1);
	cr_assert_str_eq(ev.path, "/deep/a/b");
	cr_assert_str_eq(ev.token, "t2");
	cr_assert_eq(sdrv_xs_unwatch(w, "/deep/a/b", "t2"), 0);

	/* Callbacks run from dispatch. */
	cr_assert_eq(sdrv_xs_watch(w, "/cb", "cb", count_fn, NULL), 0);
	cr_assert_eq(sdrv_xs_write_str(xs, 0, "/cb", "1"), 0);
	for (int i = 0; i < 500 && count_fn_calls < 2; i++) {
		sdrv_xs_dispatch(w);
		usleep(1000);
	}
	cr_assert_eq(count_fn_calls, 2, "registration + write");
	cr_assert_geq(sdrv_xs_fd(w), 0);
	sdrv_xs_close(w);
	sdrv_xs_close(xs);
}

Test(xs, watch_events_only_where_the_watcher_may_read)
{
	struct xs_guest g;
	struct sdrv_xs *dom0 = xs_env_dom0(&env);
	struct sdrv_xs_event ev;

	xs_guest_start(&env, &g, 3);
	cr_assert_eq(sdrv_xs_watch(g.xs, "/secret", "s", NULL, NULL), 0);
	cr_assert_eq(sdrv_xs_next_event(g.xs, &ev, 5000), 1, "registration");
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, "/secret/k", "v"), 0);
	cr_assert_eq(sdrv_xs_next_event(g.xs, &ev, 200), 0,
		     "a dom0-only node's change is not shown to the guest");
	xs_guest_stop(&env, &g);
	sdrv_xs_close(dom0);
}

Test(xs, relative_watch_reports_relative_path)
{
	struct xs_guest g;
	struct sdrv_xs_event ev;

	xs_guest_start(&env, &g, 3);
	cr_assert_eq(sdrv_xs_watch(g.xs, "rel", "r", NULL, NULL), 0);
	cr_assert_eq(sdrv_xs_next_event(g.xs, &ev, 5000), 1);
	cr_assert_str_eq(ev.path, "rel");
	cr_assert_eq(sdrv_xs_write_str(g.xs, 0, "rel/x", "1"), 0);
	cr_assert_eq(sdrv_xs_next_event(g.xs, &ev, 5000), 1);
	cr_assert_str_eq(ev.path, "rel/x");
	xs_guest_stop(&env, &g);
}

Test(xs, special_watches_introduce_and_release)
{
	struct sdrv_xs *w = xs_env_dom0(&env);
	struct sdrv_xs_event ev;
	struct xs_guest g;

	cr_assert_eq(sdrv_xs_watch(w, "@introduceDomain", "in", NULL, NULL), 0);
	cr_assert_eq(sdrv_xs_watch(w, "@releaseDomain", "out", NULL, NULL), 0);
	cr_assert_eq(sdrv_xs_next_event(w, &ev, 5000), 1);
	cr_assert_eq(sdrv_xs_next_event(w, &ev, 5000), 1);
	xs_guest_start(&env, &g, 5);
	cr_assert_eq(sdrv_xs_next_event(w, &ev, 5000), 1);
	cr_assert_str_eq(ev.path, "@introduceDomain");
	xs_guest_stop(&env, &g);
	cr_assert_eq(sdrv_xs_next_event(w, &ev, 5000), 1);
	cr_assert_str_eq(ev.path, "@releaseDomain");
	sdrv_xs_close(w);
}

Test(xs, transaction_snapshot_conflict_and_commit)
{
	struct sdrv_xs *a = xs_env_dom0(&env), *b = xs_env_dom0(&env);
	struct sdrv_xs_event ev;
	uint32_t tx;
	char buf[16];

	cr_assert_eq(sdrv_xs_write_str(a, 0, "/t", "a"), 0);
	cr_assert_eq(sdrv_xs_watch(b, "/t", "t", NULL, NULL), 0);
	cr_assert_eq(sdrv_xs_next_event(b, &ev, 5000), 1);
	cr_assert_eq(sdrv_xs_transaction_start(a, &tx), 0);
	cr_assert_eq(sdrv_xs_read(a, tx, "/t", buf, sizeof(buf)), 1);
	cr_assert_eq(sdrv_xs_write_str(a, tx, "/t", "tx"), 0);
	cr_assert_eq(sdrv_xs_next_event(b, &ev, 100), 0,
		     "no event before the commit");
	cr_assert_eq(sdrv_xs_write_str(b, 0, "/t", "b"), 0);
	cr_assert_eq(sdrv_xs_next_event(b, &ev, 5000), 1);
	cr_assert_eq(sdrv_xs_read(a, tx, "/t", buf, sizeof(buf)), 2);
	cr_assert_str_eq(buf, "tx", "the transaction sees its own view");
	cr_assert_eq(sdrv_xs_transaction_end(a, tx, false), -EAGAIN);
	cr_assert_eq(sdrv_xs_read(a, 0, "/t", buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "b");

	cr_assert_eq(sdrv_xs_transaction_start(a, &tx), 0);
	cr_assert_eq(sdrv_xs_write_str(a, tx, "/t/new", "n"), 0);
	cr_assert_eq(sdrv_xs_transaction_end(a, tx, false), 0);
	cr_assert_eq(sdrv_xs_next_event(b, &ev, 5000), 1);
	cr_assert_str_eq(ev.path, "/t/new", "the commit fires the watch");
	cr_assert_eq(sdrv_xs_transaction_end(a, tx, false), -ENOENT,
		     "an ended transaction is gone");
	sdrv_xs_close(a);
	sdrv_xs_close(b);
}

struct incr {
	struct sdrv_xs *other;
	int tries;
};

static int incr_body(struct sdrv_xs *xs, uint32_t tx, void *arg)
{
	struct incr *in = arg;
	uint64_t v = 0;
	int err = sdrv_xs_read_uint(xs, tx, "/counter", &v);

	if (err && err != -ENOENT)
		return err;
	/* The first try loses a race against another writer. */
	if (in->tries++ == 0)
		sdrv_xs_write_uint(in->other, 0, "/counter", 100);
	err = sdrv_xs_write_uint(xs, tx, "/counter", v + 1);
	return err ? err : (int)(v + 1);
}

Test(xs, transaction_run_retries_on_eagain)
{
	struct sdrv_xs *a = xs_env_dom0(&env);
	struct incr in = { xs_env_dom0(&env), 0 };
	uint64_t v;

	cr_assert_eq(sdrv_xs_write_uint(a, 0, "/counter", 1), 0);
	cr_assert_eq(sdrv_xs_transaction_run(a, incr_body, &in, 5), 101);
	cr_assert_eq(in.tries, 2);
	cr_assert_eq(sdrv_xs_read_uint(a, 0, "/counter", &v), 0);
	cr_assert_eq(v, 101);
	sdrv_xs_close(a);
	sdrv_xs_close(in.other);
}

Test(xs, release_removes_the_domains_watches_and_connection)
{
	struct xs_guest g;
	struct sdrv_xs *dom0 = xs_env_dom0(&env);

	xs_guest_start(&env, &g, 3);
	cr_assert_eq(sdrv_xs_watch(g.xs, "w1", "a", NULL, NULL), 0);
	cr_assert_eq(xs_env_stat(dom0, "watches "), 1);
	cr_assert_eq(sdrv_xs_release(dom0, 3), 0);
	cr_assert_eq(xs_env_stat(dom0, "watches "), 0);
	cr_assert_eq(sdrv_xs_release(dom0, 3), -ENOENT);
	sdrv_xs_close(g.xs);
	sdrv_platform_detach(g.plat);
	sdrv_inproc_domain_destroy(env.hv, 3);
	sdrv_xs_close(dom0);
}

/* XenBus: the toolstack creates the device, backend (dom0 over the socket)
 * and frontend (guest over its ring) walk the states to Connected. */
Test(xs, xenbus_handshake_to_connected)
{
	struct xs_guest g;
	struct sdrv_xs *tool = xs_env_dom0(&env), *back_xs = xs_env_dom0(&env);
	struct sdrv_xenbus_dev front, back;
	uint64_t ref;

	xs_guest_start(&env, &g, 3);
	cr_assert_eq(sdrv_xenbus_device_create(tool, 0, 3, "vif", 0), 0);
	cr_assert_eq(sdrv_xenbus_attach(&back, back_xs, true, 0, 3, "vif", 0), 0);
	cr_assert_eq(sdrv_xenbus_attach(&front, g.xs, false, 3, 0, "vif", 0), 0);
	cr_assert_str_eq(front.peer, "/local/domain/0/backend/vif/3/0");
	cr_assert_eq(front.backend_domid, 0);

	cr_assert_eq(sdrv_xenbus_write_feature(&back, "feature-sg", true), 0);
	cr_assert_eq(sdrv_xenbus_switch_state(&back, SDRV_XENBUS_INIT_WAIT), 0);
	cr_assert_eq(sdrv_xenbus_wait_peer_state(&front,
						 1u << SDRV_XENBUS_INIT_WAIT,
						 5000),
		     SDRV_XENBUS_INIT_WAIT);
	cr_assert_eq(sdrv_xenbus_read_feature(&front, true, "feature-sg"), 1);
	cr_assert_eq(sdrv_xenbus_read_feature(&front, true, "feature-gso"), 0);
	cr_assert_eq(sdrv_xenbus_write_uint(&front, 0, "tx-ring-ref", 8), 0);
	cr_assert_eq(sdrv_xenbus_switch_state(&front, SDRV_XENBUS_INITIALISED), 0);
	cr_assert_eq(sdrv_xenbus_wait_peer_state(&back,
						 1u << SDRV_XENBUS_INITIALISED,
						 5000),
		     SDRV_XENBUS_INITIALISED);
	cr_assert_eq(sdrv_xenbus_read_uint(&back, true, "tx-ring-ref", &ref), 0);
	cr_assert_eq(ref, 8);
	cr_assert_eq(sdrv_xenbus_switch_state(&back, SDRV_XENBUS_CONNECTED), 0);
	cr_assert_eq(sdrv_xenbus_wait_peer_state(&front,
						 1u << SDRV_XENBUS_CONNECTED,
						 5000),
		     SDRV_XENBUS_CONNECTED);
	cr_assert_str_eq(sdrv_xenbus_state_name(SDRV_XENBUS_CONNECTED),
			 "Connected");

	/* A peer writing garbage as its state reads as Unknown. */
	cr_assert_eq(sdrv_xs_write_str(back_xs, 0,
				       "/local/domain/0/backend/vif/3/0/state",
				       "banana"),
		     0);
	cr_assert_eq(sdrv_xenbus_read_state(&front, true), SDRV_XENBUS_UNKNOWN);
	cr_assert_eq(sdrv_xenbus_wait_peer_state(&front,
						 1u << SDRV_XENBUS_CLOSED, 200),
		     -ETIMEDOUT);
	sdrv_xenbus_detach(&front);
	sdrv_xenbus_detach(&back);
	cr_assert_eq(sdrv_xenbus_device_destroy(tool, 0, 3, "vif", 0), 0);
	xs_guest_stop(&env, &g);
	sdrv_xs_close(tool);
	sdrv_xs_close(back_xs);
}

static void *run_daemon(void *d)
{
	xsd_run(d);
	return NULL;
}

Test(xs, save_and_restore_keep_nodes_perms_and_guest_watches)
{
	struct xs_guest g;
	struct sdrv_xs *dom0 = xs_env_dom0(&env);
	struct sdrv_xs_perm perm = { 3, SDRV_XS_PERM_READ }, got;
	struct sdrv_xs_event ev;
	struct xsd_config cfg;
	char state[128], buf[32];

	snprintf(state, sizeof(state), "%s/state", env.dir);
	xs_guest_start(&env, &g, 3);
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, "/keep/me", "value"), 0);
	cr_assert_eq(sdrv_xs_set_perms(dom0, 0, "/keep/me", &perm, 1), 0);
	cr_assert_eq(sdrv_xs_watch(g.xs, "/keep", "k", NULL, NULL), 0);
	cr_assert_eq(sdrv_xs_next_event(g.xs, &ev, 5000), 1);
	sdrv_xs_close(dom0);

	/* Stop the daemon, save, start a new one from the file. */
	xsd_stop(env.d);
	pthread_join(env.thread, NULL);
	cr_assert_eq(xsd_save(env.d, state), 0);
	xsd_free(env.d);
	xsd_config_defaults(&cfg);
	cfg.platform = env.plat;
	cr_assert_eq(xsd_new(&cfg, &env.d), 0);
	cr_assert_eq(xsd_restore(env.d, state), 0);
	cr_assert_eq(xsd_listen(env.d, env.sock), 0);
	cr_assert_eq(pthread_create(&env.thread, NULL, run_daemon, env.d), 0);
	unlink(state);

	dom0 = xs_env_dom0(&env);
	cr_assert_eq(sdrv_xs_read(dom0, 0, "/keep/me", buf, sizeof(buf)), 5);
	cr_assert_eq(sdrv_xs_get_perms(dom0, 0, "/keep/me", &got, 1), 1);
	cr_assert_eq(got.domid, 3);
	cr_assert_eq(sdrv_xs_is_domain_introduced(dom0, 3), 1);
	/* The guest's connection and watch carried over. */
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, "/keep/me", "new"), 0);
	cr_assert_eq(sdrv_xs_next_event(g.xs, &ev, 5000), 1);
	cr_assert_str_eq(ev.path, "/keep/me");
	cr_assert_eq(sdrv_xs_read(g.xs, 0, "/keep/me", buf, sizeof(buf)), 3);
	xs_guest_stop(&env, &g);
	sdrv_xs_close(dom0);
}

/* ---- regression: a watch callback that makes requests ------------------- */

struct inner {
	struct sdrv_xs *xs;
	int calls, reads_ok, errors;
};

/* On each event, read another node: a request from inside a callback. */
static void read_on_event(void *arg, const char *path, const char *token)
{
	struct inner *in = arg;
	char buf[16];
	int r = sdrv_xs_read(in->xs, 0, "/cb/other", buf, sizeof(buf));

	(void)path;
	(void)token;
	in->calls++;
	if (r == 5 && !strcmp(buf, "other"))
		in->reads_ok++;
	else
		in->errors++;
}

Test(xs, a_watch_callback_may_call_the_client)
{
	struct sdrv_xs *xs = xs_env_dom0(&env), *writer = xs_env_dom0(&env);
	struct inner in = { .xs = xs };
	char buf[16];

	cr_assert_eq(sdrv_xs_write_str(xs, 0, "/cb/other", "other"), 0);
	cr_assert_eq(sdrv_xs_watch(xs, "/cb/w", "w", read_on_event, &in), 0);
	/* Events arrive while our own request waits for its reply: the
	 * callback used to run there, and its read took the outer reply. */
	for (int i = 0; i < 20; i++) {
		cr_assert_eq(sdrv_xs_write_uint(writer, 0, "/cb/w", (uint64_t)i),
			     0);
		cr_assert_eq(sdrv_xs_read(xs, 0, "/cb/other", buf, sizeof(buf)),
			     5, "round %d", i);
		cr_assert_str_eq(buf, "other");
	}
	cr_assert_geq(sdrv_xs_dispatch(xs), 0);
	cr_assert(!sdrv_xs_broken(xs), "the connection broke");
	cr_assert_gt(in.calls, 1);
	cr_assert_eq(in.errors, 0, "%d of %d reads in callbacks failed",
		     in.errors, in.calls);
	cr_assert_eq(in.reads_ok, in.calls);
	sdrv_xs_close(writer);
	sdrv_xs_close(xs);
}

/* SPDX-License-Identifier: MIT */
/*
 * Hostile XenStore clients, each a named case: the error the protocol
 * defines or that one connection closed; the daemon and other clients carry
 * on; memory stays bounded (the daemon's own counters, and ASan/LSan).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xs_env.h"

static struct xs_env env;
static struct sdrv_xs *bystander;

static void setup(void)
{
	struct xsd_quota q;
	struct xsd_config cfg;

	xsd_config_defaults(&cfg);
	q = cfg.quota;
	q.output_bytes = 64 * 1024;
	q.watches = 32;
	xs_env_start(&env, &q);
	bystander = xs_env_dom0(&env);
	cr_assert_eq(sdrv_xs_write_str(bystander, 0, "/bystander", "ok"), 0);
}

/* The daemon still serves the client that did nothing wrong. */
static void bystander_fine(void)
{
	char buf[8];

	cr_assert_eq(sdrv_xs_read(bystander, 0, "/bystander", buf, sizeof(buf)),
		     2, "the other client is unaffected");
}

static void teardown(void)
{
	bystander_fine();
	sdrv_xs_close(bystander);
	xs_env_stop(&env);
}

TestSuite(xs_hostile, .init = setup, .fini = teardown, .timeout = 120);

static bool closed_by_daemon(int fd)
{
	char c;

	return read(fd, &c, 1) == 0;
}

Test(xs_hostile, oversized_message_closes_that_connection)
{
	int fd = xs_raw_connect(&env);
	struct sdrv_xs_msg h = { .type = SDRV_XS_WRITE, .len = 5000 };

	cr_assert_eq(write(fd, &h, sizeof(h)), sizeof(h));
	cr_assert(closed_by_daemon(fd));
	close(fd);
}

Test(xs_hostile, length_that_lies_then_hangs_up)
{
	int fd = xs_raw_connect(&env);
	struct sdrv_xs_msg h = { .type = SDRV_XS_READ, .len = 100 };

	cr_assert_eq(write(fd, &h, sizeof(h)), sizeof(h));
	cr_assert_eq(write(fd, "/bystander", 10), 10);
	close(fd); /* 90 bytes never come */
	bystander_fine();
	/* The daemon notices the hang-up in its own time: wait for it. */
	for (int i = 0; i < 500 && xs_env_stat(bystander, "connections ") != 1;
	     i++)
		usleep(10000);
	cr_assert_eq(xs_env_stat(bystander, "connections "), 1,
		     "the half-sent connection is gone");
}

Test(xs_hostile, unterminated_and_malformed_payloads_get_einval)
{
	int fd = xs_raw_connect(&env);
	char reply[64];

	cr_assert_eq(xs_raw_request(fd, SDRV_XS_DIRECTORY, 0, "/bystander", 10,
				    reply, sizeof(reply)),
		     SDRV_XS_ERROR);
	cr_assert_str_eq(reply, "EINVAL");
	cr_assert_eq(xs_raw_request(fd, SDRV_XS_DIRECTORY_PART, 0,
				    "/\0notanumber", 13, reply, sizeof(reply)),
		     SDRV_XS_ERROR);
	cr_assert_str_eq(reply, "EINVAL");
	cr_assert_eq(xs_raw_request(fd, SDRV_XS_SET_PERMS, 0, "/bystander\0q1",
				    14, reply, sizeof(reply)),
		     SDRV_XS_ERROR);
	cr_assert_str_eq(reply, "EINVAL");
	cr_assert_eq(xs_raw_request(fd, 99, 0, "", 0, reply, sizeof(reply)),
		     SDRV_XS_ERROR);
	cr_assert_str_eq(reply, "ENOSYS");
	cr_assert_eq(xs_raw_request(fd, SDRV_XS_READ, 12345, "/bystander", 11,
				    reply, sizeof(reply)),
		     SDRV_XS_ERROR, "an unknown transaction");
	cr_assert_str_eq(reply, "ENOENT");
	close(fd);
}

Test(xs_hostile, paths_with_bad_characters_or_over_the_limit)
{
	struct sdrv_xs *xs = xs_env_dom0(&env);
	static char longpath[SDRV_XS_ABS_PATH_MAX + 10];
	static const char *const bad[] = { "/a b", "/a//b", "/a/", "",
					   "/a\tb", "/ä", "/a/./b*" };
	char buf[8];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(sdrv_xs_write_str(xs, 0, bad[i], "x"), -EINVAL,
			     "%s", bad[i]);
	cr_assert_eq(sdrv_xs_read(xs, 0, "@introduceDomain", buf, sizeof(buf)),
		     -EINVAL, "special paths only for watches and perms");
	longpath[0] = '/';
	memset(longpath + 1, 'a', sizeof(longpath) - 2);
	cr_assert_eq(sdrv_xs_write_str(xs, 0, longpath, "x"), -EINVAL);
	sdrv_xs_close(xs);
}

Test(xs_hostile, guest_path_over_relative_limit)
{
	struct xs_guest g;
	static char rel[SDRV_XS_REL_PATH_MAX + 8];

	xs_guest_start(&env, &g, 3);
	/* components of 99 bytes: no node's list of children outgrows the
	 * 2048-byte entry quota */
	memset(rel, 'r', sizeof(rel) - 1);
	for (size_t i = 99; i < sizeof(rel) - 1; i += 100)
		rel[i] = '/';
	cr_assert_eq(sdrv_xs_write_str(g.xs, 0, rel, "x"), -EINVAL);
	rel[SDRV_XS_REL_PATH_MAX] = '\0';
	cr_assert_eq(sdrv_xs_write_str(g.xs, 0, rel, "x"), 0);
	xs_guest_stop(&env, &g);
}

Test(xs_hostile, permission_escalation_attempts)
{
	struct xs_guest g;
	struct sdrv_xs_perm to_dom0 = { 0, SDRV_XS_PERM_NONE };
	struct sdrv_xs_perm to_self = { 3, SDRV_XS_PERM_BOTH };
	char buf[8];

	xs_guest_start(&env, &g, 3);
	cr_assert_eq(sdrv_xs_write_str(g.xs, 0, "mine", "x"), 0);
	cr_assert_eq(sdrv_xs_set_perms(g.xs, 0, "mine", &to_dom0, 1), -EPERM,
		     "only the privileged give a node away");
	cr_assert_eq(sdrv_xs_set_perms(g.xs, 0, "/bystander", &to_self, 1),
		     -EACCES, "nor take one");
	cr_assert_eq(sdrv_xs_introduce(g.xs, 9, 5, 1), -EACCES);
	cr_assert_eq(sdrv_xs_release(g.xs, 3), -EACCES);
	cr_assert_eq(sdrv_xs_write_str(g.xs, 0, "/local/domain/0/x", "x"),
		     -EACCES);
	cr_assert_eq(sdrv_xs_rm(g.xs, 0, "/bystander"), -EACCES);
	{
		const char *argv[1] = { "stats" };

		cr_assert_eq(sdrv_xs_control(g.xs, argv, 1, buf, sizeof(buf)),
			     -EACCES);
	}
	xs_guest_stop(&env, &g);
}

Test(xs_hostile, node_and_size_quotas)
{
	struct xs_guest g;
	static char big[SDRV_XS_PAYLOAD_MAX];
	char path[32];
	int err = 0, i;

	xs_guest_start(&env, &g, 3);
	memset(big, 'v', sizeof(big));
	/* The node size counts the value, the children's names and the
	 * permissions: children added to a full node overflow it. */
	cr_assert_eq(sdrv_xs_write(g.xs, 0, "big", big, 2000), 0);
	cr_assert_eq(sdrv_xs_write(g.xs, 0, "bigger", big, 2100), -ENOSPC,
		     "an entry over Xen's 2048 bytes");
	for (i = 0; i < 20 && !err; i++) {
		snprintf(path, sizeof(path), "big/child-%08d", i);
		err = sdrv_xs_write_str(g.xs, 0, path, "x");
	}
	cr_assert_eq(err, -ENOSPC, "the parent outgrew 2048 bytes");
	cr_assert_lt(i, 10);
	cr_assert_eq(sdrv_xs_rm(g.xs, 0, "big"), 0);
	err = 0;
	for (i = 0; i < 2000 && !err; i++) {
		snprintf(path, sizeof(path), "n/%d", i);
		err = sdrv_xs_write_str(g.xs, 0, path, "x");
	}
	cr_assert_eq(err, -ENOSPC, "the node quota (1000) stops the guest");
	cr_assert_lt(i, 1001);
	xs_guest_stop(&env, &g);
}

static void count_noop(void *arg, const char *path, const char *token)
{
	(void)arg;
	(void)path;
	(void)token;
}

Test(xs_hostile, watch_flood_hits_the_quota)
{
	struct xs_guest g;
	char tok[16];
	int err = 0, i;

	xs_guest_start(&env, &g, 3);
	for (i = 0; i < 200 && !err; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		err = sdrv_xs_watch(g.xs, "w", tok, count_noop, NULL);
	}
	cr_assert_eq(err, -E2BIG, "err %d", err);
	cr_assert_eq(i, 33, "32 watches, the 33rd refused");
	xs_guest_stop(&env, &g);
}

/* A 2500-byte token with a 2000-byte path makes an event over the
 * 4096-byte payload: it cannot be sent, so it is dropped and counted, and
 * the watcher's smaller events still arrive. */
Test(xs_hostile, watch_event_over_the_payload_limit_is_counted)
{
	static char token[2500], path[2000];
	struct sdrv_xs *dom0 = xs_env_dom0(&env);
	int fd = xs_raw_connect(&env);
	char payload[SDRV_XS_PAYLOAD_MAX], reply[64];
	size_t plen;
	long long before;

	memset(token, 't', sizeof(token) - 1);
	plen = (size_t)snprintf(payload, sizeof(payload), "/big") + 1;
	memcpy(payload + plen, token, sizeof(token));
	/* registration fires on "/big": it fits */
	cr_assert_eq(xs_raw_request(fd, SDRV_XS_WATCH, 0, payload,
				    plen + sizeof(token), reply, sizeof(reply)),
		     SDRV_XS_WATCH);
	before = xs_env_stat(dom0, "events-oversized ");
	path[0] = '/';
	memcpy(path + 1, "big/", 4);
	memset(path + 5, 'p', sizeof(path) - 6);
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, path, "v"), 0);
	cr_assert_eq(xs_env_stat(dom0, "events-oversized "), before + 1);
	/* the connection still works and still gets events that fit */
	cr_assert_eq(xs_raw_request(fd, SDRV_XS_WATCH, 0, "/small\0s", 9,
				    reply, sizeof(reply)),
		     SDRV_XS_WATCH);
	cr_assert_eq(xs_raw_request(fd, SDRV_XS_READ, 0, "/big", 5, reply,
				    sizeof(reply)),
		     SDRV_XS_READ);
	close(fd);
	sdrv_xs_close(dom0);
}

Test(xs_hostile, transaction_flood_hits_the_quota)
{
	struct xs_guest g;
	uint32_t tx;
	int err = 0, i;

	xs_guest_start(&env, &g, 3);
	for (i = 0; i < 100 && !err; i++)
		err = sdrv_xs_transaction_start(g.xs, &tx);
	cr_assert_eq(err, -ENOSPC);
	cr_assert_eq(i, 11, "10 transactions, the 11th refused");
	xs_guest_stop(&env, &g);
}

Test(xs_hostile, client_that_never_reads_replies_is_bounded)
{
	int fd = xs_raw_connect(&env);
	struct {
		struct sdrv_xs_msg h;
		char path[16];
	} req = { { .type = SDRV_XS_READ, .len = 15 }, "/bystander-big" };
	static char big[4000];
	long sent = 0;

	/* Big replies: a node of 4000 bytes read again and again. */
	memset(big, 'b', sizeof(big));
	cr_assert_eq(sdrv_xs_write(bystander, 0, "/bystander-big", big,
				   sizeof(big)),
		     0);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* Write until the kernel buffers are full: the daemon has stopped
	 * reading us. */
	for (int i = 0; i < 200000; i++) {
		if (write(fd, &req, sizeof(req.h) + req.h.len) < 0)
			break;
		sent++;
	}
	cr_assert_lt(sent, 200000, "the daemon stopped reading");
	bystander_fine();
	cr_assert_leq(xs_env_stat(bystander, "output-bytes "),
		      64 * 1024 + 2 * 4200,
		      "queued output stays within its bound");
	close(fd);
}

Test(xs_hostile, watch_events_for_a_non_reader_are_dropped_then_resent)
{
	int fd = xs_raw_connect(&env);
	char reply[64], last[64] = "";
	static char buf[1 << 16];
	size_t have = 0, off = 0;

	cr_assert_eq(xs_raw_request(fd, SDRV_XS_WATCH, 0, "/flood\0tok", 11,
				    reply, sizeof(reply)),
		     SDRV_XS_WATCH);
	/* Each write fires an event the watcher does not read: more than
	 * the socket buffer and twice the output bound hold. */
	for (int i = 0; i < 20000; i++)
		cr_assert_eq(sdrv_xs_write_str(bystander, 0, "/flood/x", "1"), 0);
	cr_assert_gt(xs_env_stat(bystander, "events-dropped "), 0);
	cr_assert_leq(xs_env_stat(bystander, "output-bytes "),
		      2 * 64 * 1024 + 8192, "bounded");
	/* Now read it all: once drained, the watch fires once more on its
	 * own path, so the client knows to look again. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (int idle = 0; idle < 100;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);

		if (n <= 0) {
			idle++;
			usleep(5000);
		} else {
			idle = 0;
			have += (size_t)n;
		}
		while (have - off >= sizeof(struct sdrv_xs_msg)) {
			struct sdrv_xs_msg h;

			memcpy(&h, buf + off, sizeof(h));
			if (have - off < sizeof(h) + h.len)
				break;
			cr_assert_eq(h.type, SDRV_XS_WATCH_EVENT);
			snprintf(last, sizeof(last), "%s", buf + off + sizeof(h));
			off += sizeof(h) + h.len;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
		off = 0;
	}
	cr_assert_str_eq(last, "/flood", "the resent event names the watch");
	close(fd);
}

Test(xs_hostile, guest_scribbling_on_ring_indices_is_cut_off_alone)
{
	struct xs_guest bad, good;
	struct sdrv_xs_ring_page *page;
	void *p;
	sdrv_evtchn_port_t port;
	char buf[8];

	xs_guest_start(&env, &bad, 3);
	xs_guest_start(&env, &good, 4);
	cr_assert_eq(sdrv_platform_xenstore(bad.plat, &p, &port), 0);
	page = p;
	/* Claim 5000 bytes of requests in a 1024-byte ring. */
	__atomic_store_n(&page->req_prod, page->req_cons + 5000,
			 __ATOMIC_RELEASE);
	sdrv_evtchn_notify(bad.plat, port);
	for (int i = 0; i < 1000 && !page->error; i++)
		usleep(1000);
	cr_assert_eq(page->error, SDRV_XS_ERROR_RINGIDX);
	cr_assert_eq(sdrv_xs_read(bad.xs, 0, "x", buf, sizeof(buf)),
		     -ESHUTDOWN);
	cr_assert_eq(sdrv_xs_write_str(good.xs, 0, "k", "v"), 0,
		     "another guest carries on");
	xs_guest_stop(&env, &bad);
	xs_guest_stop(&env, &good);
}

Test(xs_hostile, guest_garbage_in_the_ring_closes_only_its_connection)
{
	struct xs_guest bad, good;
	struct sdrv_xs_ring_page *page;
	void *p;
	sdrv_evtchn_port_t port;
	struct sdrv_xs_msg h = { .type = SDRV_XS_WRITE, .len = 9999 };

	xs_guest_start(&env, &bad, 3);
	xs_guest_start(&env, &good, 4);
	cr_assert_eq(sdrv_platform_xenstore(bad.plat, &p, &port), 0);
	page = p;
	memcpy(page->req + SDRV_XS_RING_MASK(page->req_prod), &h, sizeof(h));
	__atomic_store_n(&page->req_prod, page->req_prod + sizeof(h),
			 __ATOMIC_RELEASE);
	sdrv_evtchn_notify(bad.plat, port);
	for (int i = 0; i < 1000 && !page->error; i++)
		usleep(1000);
	cr_assert_eq(page->error, SDRV_XS_ERROR_PROTO);
	cr_assert_eq(sdrv_xs_write_str(good.xs, 0, "k", "v"), 0);
	xs_guest_stop(&env, &bad);
	xs_guest_stop(&env, &good);
}

Test(xs_hostile, deep_tree_removed_without_recursion)
{
	struct sdrv_xs *xs = xs_env_dom0(&env);
	static char path[SDRV_XS_ABS_PATH_MAX + 1];
	size_t len = 0;
	long long before = xs_env_stat(xs, "nodes ");

	/* 1024 levels: "/d/d/d/..." at the path limit. */
	while (len + 2 <= SDRV_XS_REL_PATH_MAX) {
		path[len++] = '/';
		path[len++] = 'd';
	}
	path[len] = '\0';
	cr_assert_eq(sdrv_xs_write_str(xs, 0, path, "leaf"), 0);
	cr_assert_gt(xs_env_stat(xs, "nodes "), before + 1000);
	cr_assert_eq(sdrv_xs_rm(xs, 0, "/d"), 0);
	cr_assert_eq(xs_env_stat(xs, "nodes "), before);
	sdrv_xs_close(xs);
}

/* ---- bounds that hold for failing requests, and quotas ------------------ */

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

Test(xs_hostile, failing_requests_in_a_transaction_are_bounded)
{
	struct xs_guest g;
	uint32_t tx;
	char path[64], buf[8];
	long before;
	int err = 0, i;

	xs_guest_start(&env, &g, 3);
	cr_assert_eq(sdrv_xs_transaction_start(g.xs, &tx), 0);
	before = xs_env_heap_kib();
	/* Every read fails (no such node), yet each used to leave a record
	 * in the transaction: tens of MB for tens of thousands. */
	for (i = 0; i < 20000; i++) {
		snprintf(path, sizeof(path), "nothing/here-%d", i);
		err = sdrv_xs_read(g.xs, tx, path, buf, sizeof(buf));
		if (err != -ENOENT)
			break;
	}
	cr_assert_eq(err, -ENOSPC, "read %d gave %d: the transaction's "
		     "bound (1024 nodes) must stop it", i, err);
	cr_assert_lt(i, 1100);
	cr_assert_lt(xs_env_heap_kib() - before, 1024, "the daemon's heap grew by %ld KiB",
		     xs_env_heap_kib() - before);
	/* and it can only fail, at commit too */
	cr_assert_eq(sdrv_xs_transaction_end(g.xs, tx, false), -ENOSPC);
	xs_guest_stop(&env, &g);
}

Test(xs_hostile, a_guest_is_held_to_its_memory_quota)
{
	struct xs_guest g;
	static char value[2000];
	uint32_t tx[10];
	char path[64];
	long before = xs_env_heap_kib();
	size_t accepted = 0;
	int err = 0;

	memset(value, 'm', sizeof(value));
	xs_guest_start(&env, &g, 3);
	/* Within every other quota (10 transactions of under 1000 nodes of
	 * under 2048 bytes), this used to make the daemon hold ~40 MB. */
	for (int t = 0; t < 10; t++) {
		err = sdrv_xs_transaction_start(g.xs, &tx[t]);
		for (int i = 0; !err && i < 900; i++) {
			snprintf(path, sizeof(path), "t%d/n%d", t, i);
			err = sdrv_xs_write(g.xs, tx[t], path, value,
					    sizeof(value));
			if (!err)
				accepted += sizeof(value);
		}
		if (err)
			break;
	}
	cr_assert_eq(err, -ENOSPC);
	cr_assert_leq(accepted, 2560 * 1024, "%zu bytes accepted", accepted);
	cr_assert_lt(xs_env_heap_kib() - before, 12 * 1024,
		     "the daemon's heap grew by %ld KiB", xs_env_heap_kib() - before);
	xs_guest_stop(&env, &g);
}

Test(xs_hostile, a_write_refused_by_a_quota_changes_nothing)
{
	struct xs_guest g;
	static char value[3000];
	char buf[4096];
	static const char child[] = "p/a-child-whose-name-tips-the-parent";

	memset(value, 'v', sizeof(value));
	xs_guest_start(&env, &g, 3);
	/* The parent is near the 2048-byte entry quota: a new child's name
	 * would push it over. */
	cr_assert_eq(sdrv_xs_write(g.xs, 0, "p", value, 2030), 0);
	cr_assert_eq(sdrv_xs_write_str(g.xs, 0, child, "x"), -ENOSPC);
	cr_assert_eq(sdrv_xs_directory(g.xs, 0, "p", buf, sizeof(buf)), 0,
		     "the refused name stayed in the parent's list");
	cr_assert_eq(sdrv_xs_read(g.xs, 0, child, buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(sdrv_xs_write_str(g.xs, 0, child, "x"), -ENOSPC);
	cr_assert_eq(sdrv_xs_directory(g.xs, 0, "p", buf, sizeof(buf)), 0);
	/* A deep path whose last node is too big: no parent is made. */
	cr_assert_eq(sdrv_xs_write(g.xs, 0, "q/r/s", value, sizeof(value)),
		     -ENOSPC);
	cr_assert_eq(sdrv_xs_read(g.xs, 0, "q", buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(sdrv_xs_write_str(g.xs, 0, "q/r/s", "small"), 0);
	cr_assert_eq(sdrv_xs_directory(g.xs, 0, "q/r", buf, sizeof(buf)), 1,
		     "s listed once");
	cr_assert_eq(sdrv_xs_rm(g.xs, 0, "q/r/s"), 0);
	cr_assert_eq(sdrv_xs_read(g.xs, 0, "q/r/s", buf, sizeof(buf)), -ENOENT);
	xs_guest_stop(&env, &g);
}

Test(xs_hostile, a_reused_domain_id_finds_nothing_of_the_old_guest)
{
	struct sdrv_xs *dom0 = xs_env_dom0(&env);
	struct sdrv_xs_perm granted[2] = { { 0, SDRV_XS_PERM_NONE },
					   { 3, SDRV_XS_PERM_READ } };
	struct sdrv_xs_perm perms[4];
	struct xs_guest g;
	char path[64], buf[64];
	int n;

	xs_guest_start(&env, &g, 3);
	cr_assert_eq(sdrv_xs_write_str(g.xs, 0, "secret", "old guest's"), 0);
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, "/backend/vbd/3", "for 3"), 0);
	cr_assert_eq(sdrv_xs_set_perms(dom0, 0, "/backend/vbd/3", granted, 2),
		     0);
	cr_assert_eq(sdrv_xs_read(g.xs, 0, "/backend/vbd/3", buf, sizeof(buf)),
		     5);
	for (int i = 0; i < 900; i++) {
		int err;

		snprintf(path, sizeof(path), "n%d/%d", i / 100, i % 100);
		err = sdrv_xs_write_str(g.xs, 0, path, "x");
		cr_assert_eq(err, 0, "node %d of the old guest refused: %d", i,
			     err);
	}
	xs_guest_stop(&env, &g);
	/* Released: what it owned is dom0's, what it was granted is not. */
	n = sdrv_xs_get_perms(dom0, 0, "/local/domain/3/secret", perms, 4);
	cr_assert_geq(n, 1);
	cr_assert_eq(perms[0].domid, 0);
	n = sdrv_xs_get_perms(dom0, 0, "/backend/vbd/3", perms, 4);
	cr_assert_eq(n, 1, "the grant to domain 3 is gone");

	/* A new domain 3 (its home given to it again, as a toolstack does) */
	xs_guest_start(&env, &g, 3);
	cr_assert_eq(sdrv_xs_read(g.xs, 0, "secret", buf, sizeof(buf)),
		     -EACCES);
	cr_assert_eq(sdrv_xs_read(g.xs, 0, "/backend/vbd/3", buf, sizeof(buf)),
		     -EACCES);
	/* and its accounting starts at zero: 900 nodes (and their 9
	 * parents) again fit the 1000 */
	for (int i = 0; i < 900; i++) {
		snprintf(path, sizeof(path), "m%d/%d", i / 100, i % 100);
		int err = sdrv_xs_write_str(g.xs, 0, path, "x");

		cr_assert_eq(err, 0, "node %d of the new guest refused: %d", i,
			     err);
	}
	xs_guest_stop(&env, &g);
	sdrv_xs_close(dom0);
}

Test(xs_hostile, clients_that_send_and_close_without_reading_are_reaped)
{
	struct sdrv_xs *dom0 = xs_env_dom0(&env);
	long long base = xs_env_stat(dom0, "connections ");
	long before = xs_env_heap_kib();
	double start, worst = 0;
	char buf[8];

	for (int round = 0; round < 4; round++) {
		int fds[250];

		for (int i = 0; i < 250; i++) {
			struct sdrv_xs_msg h = { .type = SDRV_XS_READ,
						 .req_id = 1, .len = 11 };

			fds[i] = xs_raw_connect(&env);
			cr_assert_eq(write(fds[i], &h, sizeof(h)),
				     (ssize_t)sizeof(h));
			cr_assert_eq(write(fds[i], "/bystander", 11), 11);
		}
		/* a client in the middle of the crowd is served, without
		 * waiting for the crowd (each turn of the daemon's loop
		 * takes at most 16 new clients, and visits only those it
		 * touched) */
		start = now_us();
		cr_assert_eq(sdrv_xs_read(dom0, 0, "/bystander", buf,
					  sizeof(buf)),
			     2);
		if (now_us() - start > worst)
			worst = now_us() - start;
		for (int i = 0; i < 250; i++)
			close(fds[i]);
	}
	for (int i = 0; i < 1000 && xs_env_stat(dom0, "connections ") > base;
	     i++)
		usleep(10000);
	cr_assert_eq(xs_env_stat(dom0, "connections "), base,
		     "1000 dead connections were not all reaped");
	fprintf(stderr, "a client among 250 that never read: served in %.0f "
			"us at worst\n", worst);
	/* their memory came back (4 KiB and more each while open) */
	cr_assert_lt(xs_env_heap_kib() - before, 2048, "%ld KiB kept after close",
		     xs_env_heap_kib() - before);
	sdrv_xs_close(dom0);
}

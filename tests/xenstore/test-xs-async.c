/* SPDX-License-Identifier: MIT */
/*
 * The XenStore client's asynchronous requests against sdrv-xenstored, over
 * the socket (dom0) and over a guest's ring page: many requests in flight
 * answered from one poll loop, callbacks that make requests of their own,
 * replies read while a blocking request waits, errors, forgetting, and the
 * slot limit.  (Deadlines and lying daemons: test-xs-client-hostile.c.)
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

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

TestSuite(xs_async, .init = setup, .fini = teardown, .timeout = 60);

#define N 30 /* 2N in flight: within SDRV_XS_ASYNC_MAX */

struct answer {
	int calls;
	int err;
	char value[64];
	struct sdrv_xs *xs; /* for callbacks that make requests */
};

static void on_reply(void *arg, int err, const char *payload, size_t len)
{
	struct answer *a = arg;

	a->calls++;
	a->err = err;
	if (!err && len < sizeof(a->value)) {
		memcpy(a->value, payload, len);
		a->value[len] = '\0';
	}
}

/* An event loop's turn: poll the connection's fd with its deadline, then
 * dispatch.  Until nothing waits (5 s at most). */
static void loop_until_answered(struct sdrv_xs *xs)
{
	for (int i = 0; i < 500 && sdrv_xs_async_pending(xs); i++) {
		struct pollfd pfd = { .fd = sdrv_xs_fd(xs), .events = POLLIN };
		int t = sdrv_xs_timeout_ms(xs);

		poll(&pfd, 1, t < 0 || t > 10 ? 10 : t);
		cr_assert_geq(sdrv_xs_dispatch(xs), 0);
	}
	cr_assert_eq(sdrv_xs_async_pending(xs), 0, "every request answered");
}

/* N writes, then N reads, all in flight at once; each answered once. */
static void many_in_flight(struct sdrv_xs *xs, const char *dir)
{
	static struct answer w[N], r[N];
	char path[96], value[32];

	memset(w, 0, sizeof(w));
	memset(r, 0, sizeof(r));
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "%s/k%d", dir, i);
		snprintf(value, sizeof(value), "v%d", i * 7);
		cr_assert_eq(sdrv_xs_write_async(xs, 0, path, value, 5000,
						 on_reply, &w[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "%s/k%d", dir, i);
		cr_assert_eq(sdrv_xs_read_async(xs, 0, path, 5000, on_reply,
						&r[i]), 0);
	}
	cr_expect_eq(sdrv_xs_async_pending(xs), 2 * N);
	loop_until_answered(xs);
	for (int i = 0; i < N; i++) {
		snprintf(value, sizeof(value), "v%d", i * 7);
		cr_expect_eq(w[i].calls, 1, "write %d answered once", i);
		cr_expect_eq(w[i].err, 0);
		cr_expect_eq(r[i].calls, 1, "read %d answered once", i);
		cr_expect_eq(r[i].err, 0, "read %d: %d", i, r[i].err);
		cr_expect_str_eq(r[i].value, value);
	}
}

Test(xs_async, many_requests_in_flight_are_answered_from_one_poll_loop_over_the_socket)
{
	struct sdrv_xs *xs = xs_env_dom0(&env);

	many_in_flight(xs, "/async");
	sdrv_xs_close(xs);
}

Test(xs_async, many_requests_in_flight_are_answered_from_one_poll_loop_over_a_ring)
{
	struct xs_guest g;

	xs_guest_start(&env, &g, 3);
	many_in_flight(g.xs, "/local/domain/3/async");
	xs_guest_stop(&env, &g);
}

static struct answer nested_sync, nested_async;

/* A callback that reads (blocking) and writes (asynchronously). */
static void on_reply_then_request(void *arg, int err, const char *payload,
				  size_t len)
{
	struct answer *a = arg;

	on_reply(arg, err, payload, len);
	nested_sync.calls++;
	nested_sync.err = sdrv_xs_read(a->xs, 0, "/nest/first",
				       nested_sync.value,
				       sizeof(nested_sync.value));
	cr_expect_eq(sdrv_xs_write_async(a->xs, 0, "/nest/second", "2", 5000,
					 on_reply, &nested_async), 0);
}

Test(xs_async, a_callback_may_make_requests_of_its_own)
{
	struct sdrv_xs *xs = xs_env_dom0(&env);
	struct answer a = { .xs = xs };
	char buf[8];

	cr_assert_eq(sdrv_xs_write_str(xs, 0, "/nest/first", "1"), 0);
	cr_assert_eq(sdrv_xs_read_async(xs, 0, "/nest/first", 5000,
					on_reply_then_request, &a), 0);
	loop_until_answered(xs);
	cr_expect_eq(a.calls, 1);
	cr_expect_str_eq(a.value, "1");
	cr_expect_eq(nested_sync.err, 1, "the blocking read inside the callback");
	cr_expect_str_eq(nested_sync.value, "1");
	cr_expect_eq(nested_async.calls, 1, "its own asynchronous write answered");
	cr_assert_eq(sdrv_xs_read(xs, 0, "/nest/second", buf, sizeof(buf)), 1);
	sdrv_xs_close(xs);
}

Test(xs_async, a_reply_read_while_a_blocking_request_waits_is_held_for_the_loop)
{
	struct sdrv_xs *xs = xs_env_dom0(&env);
	struct answer a = { 0 };
	char buf[8];

	cr_assert_eq(sdrv_xs_write_str(xs, 0, "/held", "x"), 0);
	cr_assert_eq(sdrv_xs_read_async(xs, 0, "/held", 5000, on_reply, &a), 0);
	/* Its reply comes first and is read by this call's wait. */
	cr_assert_eq(sdrv_xs_read(xs, 0, "/held", buf, sizeof(buf)), 1);
	cr_expect_leq(a.calls, 1);
	loop_until_answered(xs);
	cr_expect_eq(a.calls, 1, "answered once, after the blocking call");
	cr_expect_str_eq(a.value, "x");
	sdrv_xs_close(xs);
}

Test(xs_async, the_daemons_error_reaches_the_callback)
{
	struct sdrv_xs *xs = xs_env_dom0(&env);
	struct answer a = { 0 };

	cr_assert_eq(sdrv_xs_read_async(xs, 0, "/no/such/key", 5000, on_reply,
					&a), 0);
	loop_until_answered(xs);
	cr_expect_eq(a.calls, 1);
	cr_expect_eq(a.err, -SDRV_ENOENT);
	cr_expect(!sdrv_xs_broken(xs));
	sdrv_xs_close(xs);
}

Test(xs_async, a_forgotten_request_never_calls_back)
{
	struct sdrv_xs *xs = xs_env_dom0(&env);
	struct answer a = { 0 }, b = { 0 };

	cr_assert_eq(sdrv_xs_write_str(xs, 0, "/f", "1"), 0);
	cr_assert_eq(sdrv_xs_read_async(xs, 0, "/f", 5000, on_reply, &a), 0);
	cr_assert_eq(sdrv_xs_read_async(xs, 0, "/f", 5000, on_reply, &a), 0);
	cr_assert_eq(sdrv_xs_read_async(xs, 0, "/f", 5000, on_reply, &b), 0);
	cr_expect_eq(sdrv_xs_async_forget(xs, &a), 2);
	loop_until_answered(xs);
	cr_expect_eq(a.calls, 0, "forgotten: the replies were dropped");
	cr_expect_eq(b.calls, 1);
	sdrv_xs_close(xs);
}

Test(xs_async, requests_beyond_the_slots_are_refused_until_some_are_answered)
{
	struct sdrv_xs *xs = xs_env_dom0(&env);
	static struct answer a[SDRV_XS_ASYNC_MAX + 1];

	cr_assert_eq(sdrv_xs_write_str(xs, 0, "/s", "1"), 0);
	for (int i = 0; i < SDRV_XS_ASYNC_MAX; i++)
		cr_assert_eq(sdrv_xs_read_async(xs, 0, "/s", 5000, on_reply,
						&a[i]), 0);
	cr_expect_eq(sdrv_xs_read_async(xs, 0, "/s", 5000, on_reply,
					&a[SDRV_XS_ASYNC_MAX]),
		     -SDRV_EBUSY);
	loop_until_answered(xs);
	cr_expect_eq(sdrv_xs_read_async(xs, 0, "/s", 5000, on_reply,
					&a[SDRV_XS_ASYNC_MAX]),
		     0, "a slot again");
	loop_until_answered(xs);
	for (int i = 0; i <= SDRV_XS_ASYNC_MAX; i++)
		cr_expect_eq(a[i].calls, 1);
	sdrv_xs_close(xs);
}

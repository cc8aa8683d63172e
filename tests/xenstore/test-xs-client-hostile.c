/* SPDX-License-Identifier: MIT */
/*
 * libsplitdrv's XenStore client against a lying daemon: a socket server
 * that answers each request with bytes chosen by the test.  Each case must
 * end in a clear error (-EPROTO, then -ESHUTDOWN: the connection is broken),
 * never a crash, an overflow or an endless loop (ASan/UBSan, timeout).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <splitdrv/xs.h>

struct liar {
	char dir[64], sock[128];
	int listen_fd;
	pthread_t thread;
	/* The answer to every request: a header and a payload; req_id 0
	 * means "echo the request's". */
	struct sdrv_xs_msg hdr;
	char payload[8192];
	size_t payload_len;
	bool hang_up_after; /* close after the first answer */
	bool bump_gen; /* DIRECTORY_PART: a new generation every time */
	bool silent; /* read requests, answer none */
	unsigned delay_ms; /* before each answer */
	/* After answering a WATCH: @nr_events copies of @event (a whole
	 * message), then the first @tail_split bytes of @tail, a pause, the
	 * rest of @tail. */
	char event[8192], tail[256];
	size_t event_len, tail_len, tail_split;
	int nr_events;
};

static bool read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void *serve(void *arg)
{
	struct liar *l = arg;
	int fd = accept(l->listen_fd, NULL, NULL);
	unsigned gen = 0;

	for (;;) {
		struct sdrv_xs_msg req, rep;
		char in[4096];

		if (fd < 0 || !read_all(fd, &req, sizeof(req)) ||
		    req.len > sizeof(in) || !read_all(fd, in, req.len))
			break;
		if (l->silent)
			continue;
		if (l->delay_ms)
			usleep(l->delay_ms * 1000u);
		rep = l->hdr;
		if (!rep.req_id)
			rep.req_id = req.req_id;
		if (l->bump_gen && req.type == SDRV_XS_DIRECTORY) {
			rep = (struct sdrv_xs_msg){ .type = SDRV_XS_ERROR,
						    .req_id = req.req_id,
						    .len = 6 };
			if (write(fd, &rep, sizeof(rep)) != sizeof(rep) ||
			    write(fd, "E2BIG", 6) != 6)
				break;
			continue;
		}
		if (l->bump_gen) {
			l->payload_len = (size_t)snprintf(l->payload,
							  sizeof(l->payload),
							  "%u", gen++) + 1;
			memcpy(l->payload + l->payload_len, "a\0", 2);
			l->payload_len += 2;
			rep.len = (uint32_t)l->payload_len;
		}
		if (write(fd, &rep, sizeof(rep)) != sizeof(rep) ||
		    write(fd, l->payload, l->payload_len) !=
			    (ssize_t)l->payload_len)
			break;
		if (req.type == SDRV_XS_WATCH && l->nr_events) {
			for (int i = 0; i < l->nr_events; i++)
				if (write(fd, l->event, l->event_len) !=
				    (ssize_t)l->event_len)
					break;
			if (l->tail_len &&
			    write(fd, l->tail, l->tail_split) !=
				    (ssize_t)l->tail_split)
				break;
			usleep(300000);
			if (l->tail_len &&
			    write(fd, l->tail + l->tail_split,
				  l->tail_len - l->tail_split) !=
				    (ssize_t)(l->tail_len - l->tail_split))
				break;
		}
		if (l->hang_up_after)
			break;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static struct liar liar;

static void start(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	/* the client hangs up on a liar mid-answer: not a reason to die */
	signal(SIGPIPE, SIG_IGN);
	snprintf(liar.dir, sizeof(liar.dir), "/tmp/xs-liar-XXXXXX");
	cr_assert_not_null(mkdtemp(liar.dir));
	snprintf(liar.sock, sizeof(liar.sock), "%s/socket", liar.dir);
	strcpy(sa.sun_path, liar.sock);
	liar.listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(liar.listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(liar.listen_fd, 1), 0);
	cr_assert_eq(pthread_create(&liar.thread, NULL, serve, &liar), 0);
}

static struct sdrv_xs *connect_to_liar(void)
{
	struct sdrv_xs *xs;

	start();
	cr_assert_eq(sdrv_xs_open_socket(liar.sock, &xs), 0);
	return xs;
}

static void stop(void)
{
	close(liar.listen_fd);
	pthread_join(liar.thread, NULL);
	unlink(liar.sock);
	rmdir(liar.dir);
	memset(&liar, 0, sizeof(liar));
}

TestSuite(xs_client_hostile, .fini = stop, .timeout = 30);

/* A READ answered as scripted: the error, and the connection broken. */
static void expect_broken(int want)
{
	struct sdrv_xs *xs = connect_to_liar();
	char buf[64];

	cr_assert_eq(sdrv_xs_read(xs, 0, "/x", buf, sizeof(buf)), want);
	cr_assert(sdrv_xs_broken(xs));
	cr_assert_eq(sdrv_xs_read(xs, 0, "/x", buf, sizeof(buf)), -ESHUTDOWN,
		     "a broken connection stays broken");
	sdrv_xs_close(xs);
}

Test(xs_client_hostile, reply_longer_than_the_payload_limit)
{
	liar.hdr = (struct sdrv_xs_msg){ .type = SDRV_XS_READ, .len = 5000 };
	liar.payload_len = 5000;
	expect_broken(-EPROTO);
}

Test(xs_client_hostile, reply_to_another_request)
{
	liar.hdr = (struct sdrv_xs_msg){ .type = SDRV_XS_READ, .req_id = 4242,
					 .len = 2 };
	memcpy(liar.payload, "v", 2);
	liar.payload_len = 2;
	expect_broken(-EPROTO);
}

Test(xs_client_hostile, reply_of_another_type)
{
	liar.hdr = (struct sdrv_xs_msg){ .type = SDRV_XS_WRITE, .len = 3 };
	memcpy(liar.payload, "OK", 3);
	liar.payload_len = 3;
	expect_broken(-EPROTO);
}

Test(xs_client_hostile, watch_event_without_terminators)
{
	liar.hdr = (struct sdrv_xs_msg){ .type = SDRV_XS_WATCH_EVENT, .len = 8 };
	memcpy(liar.payload, "/pathtok", 8);
	liar.payload_len = 8;
	expect_broken(-EPROTO);
}

Test(xs_client_hostile, truncated_reply_then_hang_up)
{
	liar.hdr = (struct sdrv_xs_msg){ .type = SDRV_XS_READ, .len = 100 };
	memcpy(liar.payload, "short", 5);
	liar.payload_len = 5;
	liar.hang_up_after = true;
	expect_broken(-ESHUTDOWN);
}

Test(xs_client_hostile, error_reply_with_garbage_name)
{
	struct sdrv_xs *xs;
	char buf[8];

	liar.hdr = (struct sdrv_xs_msg){ .type = SDRV_XS_ERROR, .len = 6 };
	memcpy(liar.payload, "\xff\xfeZZ\0\0", 6);
	liar.payload_len = 6;
	xs = connect_to_liar();
	cr_assert_eq(sdrv_xs_read(xs, 0, "/x", buf, sizeof(buf)), -EINVAL,
		     "an unknown error name reads as EINVAL, as in Xen");
	sdrv_xs_close(xs);
}

Test(xs_client_hostile, transaction_id_that_is_not_a_number)
{
	struct sdrv_xs *xs;
	uint32_t tx;

	liar.hdr = (struct sdrv_xs_msg){ .type = SDRV_XS_TRANSACTION_START,
					 .len = 4 };
	memcpy(liar.payload, "1x2", 4);
	liar.payload_len = 4;
	xs = connect_to_liar();
	cr_assert_eq(sdrv_xs_transaction_start(xs, &tx), -EPROTO);
	cr_assert(sdrv_xs_broken(xs));
	sdrv_xs_close(xs);
}

Test(xs_client_hostile, directory_generation_that_never_settles)
{
	struct sdrv_xs *xs;
	static char buf[8192];

	/* DIRECTORY says E2BIG; every DIRECTORY_PART then carries a new
	 * generation and never the end of the list: the client must give
	 * up, not loop. */
	liar.hdr = (struct sdrv_xs_msg){ .type = SDRV_XS_DIRECTORY_PART };
	liar.bump_gen = true;
	xs = connect_to_liar();
	cr_assert_eq(sdrv_xs_directory(xs, 0, "/", buf, sizeof(buf)), -EAGAIN);
	sdrv_xs_close(xs);
}

Test(xs_client_hostile, a_daemon_that_never_answers_times_out)
{
	struct sdrv_xs *xs;
	char buf[16];

	liar.silent = true;
	xs = connect_to_liar();
	sdrv_xs_set_timeout(xs, 200);
	cr_assert_eq(sdrv_xs_read(xs, 0, "/a", buf, sizeof(buf)),
		     -SDRV_ETIMEDOUT);
	/* a late reply could be taken for the next request's: broken */
	cr_assert(sdrv_xs_broken(xs));
	cr_assert_eq(sdrv_xs_read(xs, 0, "/a", buf, sizeof(buf)),
		     -SDRV_ESHUTDOWN);
	sdrv_xs_close(xs);
}

/* A WATCH_EVENT message "path\0token\0" into @buf; its length. */
static size_t event_msg(char *buf, const char *path, size_t plen,
			const char *token)
{
	size_t tlen = strlen(token);
	struct sdrv_xs_msg h = { .type = SDRV_XS_WATCH_EVENT,
				 .len = (uint32_t)(plen + 1 + tlen + 1) };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), path, plen);
	buf[sizeof(h) + plen] = '\0';
	memcpy(buf + sizeof(h) + plen + 1, token, tlen + 1);
	return sizeof(h) + h.len;
}

Test(xs_client_hostile, events_as_long_as_the_protocol_allows_stay_in_bounds)
{
	static char path[SDRV_XS_ABS_PATH_MAX];
	static char token[SDRV_XS_TOKEN_MAX];
	struct sdrv_xs *xs;
	struct sdrv_xs_event ev;

	memset(token, 't', sizeof(token) - 1); /* the longest a client takes */
	/* a longest path with a longest token: more than the client's
	 * event path buffer holds together; several of them queued */
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	liar.hdr = (struct sdrv_xs_msg){ .type = SDRV_XS_WATCH, .len = 3 };
	memcpy(liar.payload, "OK", 3);
	liar.payload_len = 3;
	liar.event_len = event_msg(liar.event, path, sizeof(path), token);
	liar.nr_events = 4;
	xs = connect_to_liar();
	cr_assert_eq(sdrv_xs_watch(xs, "/p", token, NULL, NULL), 0);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(sdrv_xs_next_event(xs, &ev, 2000), 1);
		cr_assert_str_eq(ev.token, token, "event %d: token corrupted",
				 i);
		cr_assert_eq(strlen(ev.path), sizeof(path));
	}
	/* the watch table is intact: the watch is still there */
	cr_assert_eq(sdrv_xs_watch(xs, "/q", token, NULL, NULL), -EEXIST);
	sdrv_xs_close(xs);
}

Test(xs_client_hostile, an_event_queue_overflow_keeps_a_half_received_event)
{
	struct sdrv_xs *xs;
	struct sdrv_xs_event ev;
	bool late = false;

	liar.hdr = (struct sdrv_xs_msg){ .type = SDRV_XS_WATCH, .len = 3 };
	memcpy(liar.payload, "OK", 3);
	liar.payload_len = 3;
	liar.event_len = event_msg(liar.event, "/w/flood", 8, "tok");
	liar.nr_events = 400; /* far over the client's 4 KiB queue */
	liar.tail_len = event_msg(liar.tail, "/w/late", 7, "tok");
	liar.tail_split = sizeof(struct sdrv_xs_msg) + 3;
	xs = connect_to_liar();
	cr_assert_eq(sdrv_xs_watch(xs, "/w", "tok", NULL, NULL), 0);
	usleep(100000);
	/* take what came: the queue overflows, half of the last event
	 * waits in the receive buffer */
	cr_assert_geq(sdrv_xs_dispatch(xs), 0);
	usleep(400000); /* the rest of it arrives */
	for (int i = 0; i < 1000 && !late; i++) {
		int r = sdrv_xs_next_event(xs, &ev, 1000);

		cr_assert_eq(r, 1, "after %d events: %d", i, r);
		cr_assert_str_eq(ev.token, "tok");
		cr_assert(!strcmp(ev.path, "/w/flood") || !strcmp(ev.path, "/w") ||
				  !strcmp(ev.path, "/w/late"),
			  "event %d: path '%s'", i, ev.path);
		late = !strcmp(ev.path, "/w/late");
	}
	cr_assert(late, "the half-received event was lost");
	cr_assert(!sdrv_xs_broken(xs));
	sdrv_xs_close(xs);
}

/* ---- asynchronous requests against the liar ---------------------------- */

struct async_answer {
	int calls, err;
	size_t len;
};

static void on_async(void *arg, int err, const char *payload, size_t len)
{
	struct async_answer *a = arg;

	(void)payload;
	a->calls++;
	a->err = err;
	a->len = len;
}

/* Poll and dispatch as an event loop does, for @ms. */
static void loop_for(struct sdrv_xs *xs, int ms)
{
	for (int spent = 0; spent < ms; spent += 10) {
		struct pollfd pfd = { .fd = sdrv_xs_fd(xs), .events = POLLIN };
		int t = sdrv_xs_timeout_ms(xs);

		poll(&pfd, 1, t < 0 || t > 10 ? 10 : t);
		sdrv_xs_dispatch(xs);
	}
}

Test(xs_client_hostile, an_async_request_past_its_deadline_times_out_and_its_late_reply_is_dropped)
{
	struct sdrv_xs *xs;
	struct async_answer a = { 0 };
	char buf[16];

	liar.delay_ms = 300;
	liar.hdr.type = SDRV_XS_READ;
	memcpy(liar.payload, "late", 4);
	liar.payload_len = 4;
	liar.hdr.len = 4;
	xs = connect_to_liar();
	cr_assert_eq(sdrv_xs_read_async(xs, 0, "/a", 100, on_async, &a), 0);
	cr_expect_gt(sdrv_xs_timeout_ms(xs), 0, "a deadline to poll for");
	loop_for(xs, 150);
	cr_expect_eq(a.calls, 1, "told once, at its deadline");
	cr_expect_eq(a.err, -SDRV_ETIMEDOUT);
	cr_expect_eq(sdrv_xs_timeout_ms(xs), -1, "no deadline left");
	loop_for(xs, 400);
	cr_expect_eq(a.calls, 1, "the late reply was dropped");
	cr_expect(!sdrv_xs_broken(xs), "a late reply is no lie");
	cr_expect_eq(sdrv_xs_async_pending(xs), 0);
	liar.delay_ms = 0;
	cr_expect_eq(sdrv_xs_read(xs, 0, "/a", buf, sizeof(buf)), 4,
		     "the connection goes on");
	sdrv_xs_close(xs);
}

Test(xs_client_hostile, an_async_reply_of_another_type_breaks_the_connection)
{
	struct sdrv_xs *xs;
	struct async_answer a = { 0 };

	liar.hdr.type = SDRV_XS_WRITE;
	xs = connect_to_liar();
	cr_assert_eq(sdrv_xs_read_async(xs, 0, "/a", 1000, on_async, &a), 0);
	loop_for(xs, 200);
	cr_expect(sdrv_xs_broken(xs));
	cr_expect_eq(a.calls, 1);
	cr_expect_eq(a.err, -SDRV_ESHUTDOWN, "its request hears of it");
	sdrv_xs_close(xs);
}

Test(xs_client_hostile, an_async_reply_longer_than_the_async_limit_is_refused_alone)
{
	struct sdrv_xs *xs;
	struct async_answer a = { 0 };

	liar.hdr.type = SDRV_XS_READ;
	liar.payload_len = SDRV_XS_ASYNC_REPLY_MAX + 1;
	memset(liar.payload, 'x', liar.payload_len);
	liar.hdr.len = (uint32_t)liar.payload_len;
	xs = connect_to_liar();
	cr_assert_eq(sdrv_xs_read_async(xs, 0, "/a", 1000, on_async, &a), 0);
	loop_for(xs, 200);
	cr_expect_eq(a.calls, 1);
	cr_expect_eq(a.err, -SDRV_E2BIG);
	cr_expect(!sdrv_xs_broken(xs), "a long value is no lie");
	sdrv_xs_close(xs);
}

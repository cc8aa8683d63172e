/* SPDX-License-Identifier: MIT */
/*
 * The XenStore client: requests and replies, watch events, transactions.
 * Freestanding: the transport does the I/O and provides memory.
 *
 * The daemon is a peer we check: a reply must be a whole message of at most
 * SDRV_XS_PAYLOAD_MAX bytes answering the request in flight; a watch event
 * must hold two NUL-terminated strings.  Anything else breaks the
 * connection (-SDRV_EPROTO, then -SDRV_ESHUTDOWN).
 */
#include <splitdrv/xs.h>

#include "../wire.h"
#include "client_internal.h"

void xs_client_init(struct sdrv_xs *xs, const struct xs_transport *t,
		    char *rx, char *evq, char *cbq)
{
	xs->t = t;
	xs->rx = rx;
	xs->evq.buf = evq;
	xs->cbq.buf = cbq;
	xs->next_req_id = 1;
	xs->fd = -1;
	xs->timeout_ms = SDRV_XS_TIMEOUT_DEFAULT_MS;
}

SDRV_PUBLIC void sdrv_xs_set_timeout(struct sdrv_xs *xs, int timeout_ms)
{
	xs->timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
}

int xs_time_left(struct sdrv_xs *xs)
{
	uint64_t now;

	if (xs->timeout_ms < 0)
		return -1;
	now = xs->t->now_ms(xs);
	if (now >= xs->deadline_ms)
		return 0;
	return (int)(xs->deadline_ms - now);
}

static size_t str_len(const char *s)
{
	return xs_strnlen(s, (size_t)-1);
}

int xs_fail(struct sdrv_xs *xs, int err)
{
	xs->broken = true;
	return err;
}

static int fail(struct sdrv_xs *xs, int err)
{
	return xs_fail(xs, err);
}

/* ---- events ---- */

/* Slots to look through: none before the first watch. */
static unsigned watch_slots(const struct sdrv_xs *xs)
{
	return xs->watches ? (unsigned)XS_MAX_WATCHES : 0;
}

static struct xs_watch *watch_by_token(struct sdrv_xs *xs, const char *token)
{
	for (unsigned i = 0; i < watch_slots(xs); i++) {
		struct xs_watch *w = xs->watches[i];

		if (w && xs_strnlen(w->token, SDRV_XS_TOKEN_MAX) ==
				 str_len(token) &&
		    xs_bytes_equal(w->token, token, str_len(token)))
			return w;
	}
	return NULL;
}

uint32_t xs_evq_used(const struct xs_evq *q)
{
	return q->tail - q->head;
}

void xs_evq_put(struct xs_evq *q, const void *src, uint32_t len)
{
	const char *s = src;

	for (uint32_t i = 0; i < len; i++)
		q->buf[(q->tail++) % XS_EVQ_SIZE] = s[i];
}

void xs_evq_get(struct xs_evq *q, void *dst, uint32_t len)
{
	char *d = dst;

	for (uint32_t i = 0; i < len; i++)
		d[i] = q->buf[(q->head++) % XS_EVQ_SIZE];
}

#define evq_used xs_evq_used
#define evq_put xs_evq_put

/* Queue the event (@path, @token), or note that one was lost.  Copies
 * straight from the strings: nothing passes through rx, which may hold
 * half a message. */
static void evq_push(struct xs_evq *q, const char *path, size_t plen,
		     const char *token, size_t tlen)
{
	uint16_t len = (uint16_t)(plen + 1 + tlen + 1);

	if (evq_used(q) + 2u + len > XS_EVQ_SIZE) {
		q->lost = true;
		return;
	}
	evq_put(q, &len, 2);
	evq_put(q, path, (uint32_t)plen + 1);
	evq_put(q, token, (uint32_t)tlen + 1);
}

/*
 * Take the oldest event into @path (@path_cap bytes) and @token
 * (@token_cap): every byte is bounded by its destination, whatever the
 * record holds, and both come out NUL-terminated.  Return: whether there
 * was one.
 */
static bool evq_pop(struct xs_evq *q, char *path, size_t path_cap,
		    char *token, size_t token_cap)
{
	size_t at_path = 0, at_token = 0;
	bool in_token = false;
	uint16_t len;
	char *l = (char *)&len;

	if (!evq_used(q))
		return false;
	for (int i = 0; i < 2; i++)
		l[i] = q->buf[(q->head++) % XS_EVQ_SIZE];
	for (uint16_t i = 0; i < len; i++) {
		char c = q->buf[(q->head++) % XS_EVQ_SIZE];

		if (!in_token) {
			if (at_path + 1 < path_cap)
				path[at_path++] = c;
			in_token = c == '\0';
		} else if (at_token + 1 < token_cap) {
			token[at_token++] = c;
		}
	}
	path[at_path < path_cap ? at_path : path_cap - 1] = '\0';
	token[at_token < token_cap ? at_token : token_cap - 1] = '\0';
	return true;
}

/* After an overflow: one event per watch (of the queue's kind) on its
 * own path. */
static void evq_refill_lost(struct sdrv_xs *xs, struct xs_evq *q,
			    bool callbacks)
{
	q->lost = false;
	for (unsigned i = 0; i < watch_slots(xs); i++) {
		struct xs_watch *w = xs->watches[i];

		if (w && !w->fn == !callbacks)
			evq_push(q, w->path, str_len(w->path), w->token,
				 str_len(w->token));
	}
}

/*
 * Run the callbacks of queued events, unless a request is in flight (it
 * would take a callback's request's reply for its own) or they already
 * run (a callback's requests end here too).  Events a callback's request
 * brings are run by the same loop.
 */
static void run_callbacks(struct sdrv_xs *xs);

/* A call that reads rx (a reply) holds callbacks back until it is done;
 * letting go runs those that came meanwhile. */
static void callbacks_hold(struct sdrv_xs *xs)
{
	xs->depth++;
}

static void callbacks_release(struct sdrv_xs *xs)
{
	xs->depth--;
	run_callbacks(xs);
}

static void run_callbacks(struct sdrv_xs *xs)
{
	char path[SDRV_XS_ABS_PATH_MAX + 1], token[SDRV_XS_TOKEN_MAX];

	if (xs->depth || xs->in_callbacks)
		return;
	xs->in_callbacks = true;
	for (;;) {
		struct xs_watch *w;

		if (!evq_pop(&xs->cbq, path, sizeof(path), token,
			     sizeof(token))) {
			if (xs->cbq.lost) {
				evq_refill_lost(xs, &xs->cbq, true);
				continue;
			}
			/* Replies to asynchronous requests, deadlines. */
			if (xs_async_run(xs))
				continue;
			break;
		}
		w = watch_by_token(xs, token);
		if (w && w->fn) /* else unwatched meanwhile */
			w->fn(w->arg, path, token);
	}
	xs->in_callbacks = false;
}

/* A WATCH_EVENT in rx: hand it to its watch's callback or the queue. */
static int deliver_event(struct sdrv_xs *xs)
{
	uint32_t len = xs->hdr.len;
	size_t plen = xs_strnlen(xs->rx, len);
	size_t tlen;
	struct xs_watch *w;

	if (plen >= len)
		return fail(xs, -SDRV_EPROTO);
	tlen = xs_strnlen(xs->rx + plen + 1, len - plen - 1);
	if (plen + 1 + tlen >= len || plen > SDRV_XS_ABS_PATH_MAX ||
	    tlen >= SDRV_XS_TOKEN_MAX)
		return fail(xs, -SDRV_EPROTO);
	w = watch_by_token(xs, xs->rx + plen + 1);
	if (!w)
		return 0; /* an event racing an unwatch */
	evq_push(w->fn ? &xs->cbq : &xs->evq, xs->rx, plen, xs->rx + plen + 1,
		 tlen);
	return 1;
}

/* Receive until one whole message is in: 1, 0 when nothing more came
 * within @timeout_ms (or the wait was woken for nothing), -errno. */
static int recv_message(struct sdrv_xs *xs, int timeout_ms)
{
	for (;;) {
		char *dst;
		size_t want;
		int n;

		if (xs->got < sizeof(xs->hdr)) {
			dst = (char *)&xs->hdr + xs->got;
			want = sizeof(xs->hdr) - xs->got;
		} else {
			dst = xs->rx + (xs->got - sizeof(xs->hdr));
			want = sizeof(xs->hdr) + xs->hdr.len - xs->got;
		}
		if (want) {
			n = xs->t->recv(xs, dst, want, timeout_ms);
			if (n < 0)
				return fail(xs, n);
			if (n == 0)
				return 0;
			xs->got += (size_t)n;
		}
		if (xs->got == sizeof(xs->hdr) &&
		    xs->hdr.len > SDRV_XS_PAYLOAD_MAX)
			return fail(xs, -SDRV_EPROTO);
		if (xs->got >= sizeof(xs->hdr) &&
		    xs->got == sizeof(xs->hdr) + xs->hdr.len) {
			xs->got = 0;
			return 1;
		}
	}
}

/* Handle one received message; replies are left in rx. */
static int handle_message(struct sdrv_xs *xs, uint32_t want_req_id)
{
	int r;

	if (xs->hdr.type == SDRV_XS_WATCH_EVENT)
		return deliver_event(xs);
	r = xs_async_take_reply(xs);
	if (r)
		return r < 0 ? r : 0;
	if (!want_req_id || xs->hdr.req_id != want_req_id)
		return fail(xs, -SDRV_EPROTO); /* a reply to nothing */
	xs->reply_ready = true;
	return 0;
}

int xs_pump(struct sdrv_xs *xs, int timeout_ms)
{
	int r = recv_message(xs, timeout_ms);

	if (r <= 0)
		return r;
	r = handle_message(xs, 0);
	return r < 0 ? r : 1;
}

SDRV_PUBLIC int sdrv_xs_dispatch(struct sdrv_xs *xs)
{
	int handled = 0;

	if (xs->broken) {
		run_callbacks(xs); /* waiting requests hear of it */
		return -SDRV_ESHUTDOWN;
	}
	for (;;) {
		int r = recv_message(xs, 0);

		if (r < 0) {
			run_callbacks(xs);
			return r;
		}
		if (r == 0)
			break;
		r = handle_message(xs, 0);
		if (r < 0)
			return r;
		handled += r;
	}
	run_callbacks(xs);
	return handled;
}

SDRV_PUBLIC int sdrv_xs_next_event(struct sdrv_xs *xs,
				   struct sdrv_xs_event *ev, int timeout_ms)
{
	uint64_t start = timeout_ms > 0 ? xs->t->now_ms(xs) : 0;

	for (;;) {
		int r, left = timeout_ms;

		run_callbacks(xs);
		if (evq_pop(&xs->evq, xs->ev_path, sizeof(xs->ev_path),
			    xs->ev_token, sizeof(xs->ev_token))) {
			ev->path = xs->ev_path;
			ev->token = xs->ev_token;
			return 1;
		}
		if (xs->evq.lost) {
			evq_refill_lost(xs, &xs->evq, false);
			continue;
		}
		if (xs->broken)
			return -SDRV_ESHUTDOWN;
		if (timeout_ms > 0) { /* a deadline, not a wait per message */
			uint64_t spent = xs->t->now_ms(xs) - start;

			left = spent >= (uint64_t)timeout_ms
				       ? 0
				       : timeout_ms - (int)spent;
		}
		r = recv_message(xs, left);
		if (r < 0)
			return r;
		if (r == 0 && left == 0)
			return 0;
		if (r == 0)
			continue;
		r = handle_message(xs, 0);
		if (r < 0)
			return r;
	}
}

/* ---- requests ---- */

int xs_send(struct sdrv_xs *xs, uint32_t type, uint32_t tx,
	    const void *payload, size_t len, uint32_t *req_id)
{
	struct sdrv_xs_msg h;
	int err;

	if (xs->broken)
		return -SDRV_ESHUTDOWN;
	if (len > SDRV_XS_PAYLOAD_MAX)
		return -SDRV_E2BIG;
	h.type = type;
	h.tx_id = tx;
	h.req_id = xs->next_req_id++;
	if (xs->next_req_id == 0)
		xs->next_req_id = 1;
	h.len = (uint32_t)len;
	err = xs->t->send(xs, &h, sizeof(h));
	if (!err && len)
		err = xs->t->send(xs, payload, len);
	if (err)
		return fail(xs, err);
	*req_id = h.req_id;
	return 0;
}

/* One request and its reply (see sdrv_xs_request()); watch events that
 * arrive meanwhile are only queued. */
static int request(struct sdrv_xs *xs, uint32_t type, uint32_t tx,
		   const void *payload, size_t len, void *reply,
		   size_t reply_len)
{
	struct sdrv_xs_msg h;
	int err;

	if (xs->timeout_ms >= 0)
		xs->deadline_ms = xs->t->now_ms(xs) + (uint64_t)xs->timeout_ms;
	err = xs_send(xs, type, tx, payload, len, &h.req_id);
	if (err)
		return err;
	xs->reply_ready = false;
	while (!xs->reply_ready) {
		int left = xs_time_left(xs);
		int r = left == 0 ? 0 : recv_message(xs, left);

		/* No reply in time: a late one would be taken for the next
		 * request's, so the connection cannot go on. */
		if (r == 0 && xs_time_left(xs) == 0)
			return fail(xs, -SDRV_ETIMEDOUT);
		if (r == 0)
			continue;
		if (r < 0)
			return r;
		r = handle_message(xs, h.req_id);
		if (r < 0)
			return r;
	}
	xs->reply_ready = false;
	if (xs->hdr.type == SDRV_XS_ERROR)
		return sdrv_xs_errno(xs->rx, xs->hdr.len);
	if (xs->hdr.type != type || xs->hdr.tx_id != tx)
		return fail(xs, -SDRV_EPROTO);
	if (reply && reply_len)
		sdrv_copy(reply, xs->rx,
			   xs->hdr.len < reply_len ? xs->hdr.len : reply_len);
	return (int)xs->hdr.len;
}

SDRV_PUBLIC int sdrv_xs_request(struct sdrv_xs *xs, uint32_t type, uint32_t tx,
				const void *payload, size_t len, void *reply,
				size_t reply_len)
{
	int r;

	callbacks_hold(xs);
	r = request(xs, type, tx, payload, len, reply, reply_len);
	/* the reply is the caller's now: callbacks may make requests */
	callbacks_release(xs);
	return r;
}

/* Build "a\0b\0..." from @argc strings into rx-sized @buf. */
static int join(char *buf, const char *const *argv, unsigned argc,
		size_t *len)
{
	size_t off = 0;

	for (unsigned i = 0; i < argc; i++) {
		size_t l = str_len(argv[i]) + 1;

		if (off + l > SDRV_XS_PAYLOAD_MAX)
			return -SDRV_E2BIG;
		sdrv_copy(buf + off, argv[i], l);
		off += l;
	}
	*len = off;
	return 0;
}

/* A request whose payload is @argc strings and whose reply is "OK". */
static int simple(struct sdrv_xs *xs, uint32_t type, uint32_t tx,
		  const char *const *argv, unsigned argc)
{
	char buf[SDRV_XS_PAYLOAD_MAX];
	size_t len;
	int r = join(buf, argv, argc, &len);

	if (r)
		return r;
	r = sdrv_xs_request(xs, type, tx, buf, len, NULL, 0);
	return r < 0 ? r : 0;
}

SDRV_PUBLIC int sdrv_xs_read(struct sdrv_xs *xs, uint32_t tx, const char *path,
			     char *buf, size_t len)
{
	int r = sdrv_xs_request(xs, SDRV_XS_READ, tx, path, str_len(path) + 1,
				buf, len);

	if (r >= 0 && (size_t)r < len)
		buf[r] = '\0';
	return r;
}

SDRV_PUBLIC int sdrv_xs_write(struct sdrv_xs *xs, uint32_t tx,
			      const char *path, const void *value, size_t len)
{
	char buf[SDRV_XS_PAYLOAD_MAX];
	size_t plen = str_len(path) + 1;
	int r;

	if (plen + len > SDRV_XS_PAYLOAD_MAX)
		return -SDRV_E2BIG;
	sdrv_copy(buf, path, plen);
	sdrv_copy(buf + plen, value, len);
	r = sdrv_xs_request(xs, SDRV_XS_WRITE, tx, buf, plen + len, NULL, 0);
	return r < 0 ? r : 0;
}

SDRV_PUBLIC int sdrv_xs_write_str(struct sdrv_xs *xs, uint32_t tx,
				  const char *path, const char *value)
{
	return sdrv_xs_write(xs, tx, path, value, str_len(value));
}

SDRV_PUBLIC int sdrv_xs_mkdir(struct sdrv_xs *xs, uint32_t tx,
			      const char *path)
{
	return simple(xs, SDRV_XS_MKDIR, tx, &path, 1);
}

SDRV_PUBLIC int sdrv_xs_rm(struct sdrv_xs *xs, uint32_t tx, const char *path)
{
	return simple(xs, SDRV_XS_RM, tx, &path, 1);
}

static int count_names(const char *buf, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\0';
	return n;
}

#define XS_DIRECTORY_RESTARTS 16

/* The reply parsed out of rx: no callback may run (and reuse rx) until
 * the public call returns. */
static int directory(struct sdrv_xs *xs, uint32_t tx, const char *path,
		     char *buf, size_t len)
{
	char req[SDRV_XS_ABS_PATH_MAX + 32], gen[24];
	size_t plen = str_len(path) + 1, total = 0;
	unsigned restarts = 0;
	int r = sdrv_xs_request(xs, SDRV_XS_DIRECTORY, tx, path, plen, buf,
				len);

	if (r != -SDRV_E2BIG) {
		if (r >= 0 && (size_t)r > len)
			return -SDRV_ERANGE;
		return r < 0 ? r : count_names(buf, (size_t)r);
	}
	/* Too many for one message: DIRECTORY_PART from offset 0 on; the
	 * node's generation must not change between the parts. */
	if (plen > SDRV_XS_ABS_PATH_MAX + 1)
		return -SDRV_EINVAL;
	gen[0] = '\0';
	for (;;) {
		size_t glen, part;
		const char *rx = xs->rx;

		sdrv_copy(req, path, plen);
		r = sdrv_xs_request(xs, SDRV_XS_DIRECTORY_PART, tx, req,
				    plen + xs_format_uint(total, req + plen) + 1,
				    NULL, 0);
		if (r < 0)
			return r;
		glen = xs_strnlen(rx, (size_t)r);
		if (glen >= (size_t)r || glen >= sizeof(gen))
			return fail(xs, -SDRV_EPROTO);
		if (total == 0) {
			sdrv_copy(gen, rx, glen + 1);
		} else if (xs_strnlen(gen, sizeof(gen)) != glen ||
			   !xs_bytes_equal(gen, rx, glen)) {
			/* Changed meanwhile: start over, a bounded number of
			 * times (a daemon could change it forever). */
			if (++restarts == XS_DIRECTORY_RESTARTS)
				return -SDRV_EAGAIN;
			total = 0;
			gen[0] = '\0';
			continue;
		}
		part = (size_t)r - glen - 1;
		/* The last part ends with an extra NUL. */
		if (part && rx[glen + 1 + part - 1] != '\0')
			return fail(xs, -SDRV_EPROTO);
		if (part == 1 || (part >= 2 && rx[glen + part - 1] == '\0' &&
				  rx[glen + part] == '\0')) {
			part--;
			if (total + part > len)
				return -SDRV_ERANGE;
			sdrv_copy(buf + total, rx + glen + 1, part);
			total += part;
			return count_names(buf, total);
		}
		if (part == 0)
			return fail(xs, -SDRV_EPROTO);
		if (total + part > len)
			return -SDRV_ERANGE;
		sdrv_copy(buf + total, rx + glen + 1, part);
		total += part;
	}
}

SDRV_PUBLIC int sdrv_xs_directory(struct sdrv_xs *xs, uint32_t tx,
				  const char *path, char *buf, size_t len)
{
	int r;

	callbacks_hold(xs);
	r = directory(xs, tx, path, buf, len);
	callbacks_release(xs);
	return r;
}

/* As directory(): parsed out of rx. */
static int get_perms(struct sdrv_xs *xs, uint32_t tx, const char *path,
		     struct sdrv_xs_perm *perms, unsigned max)
{
	int r = sdrv_xs_request(xs, SDRV_XS_GET_PERMS, tx, path,
				str_len(path) + 1, NULL, 0);
	size_t off = 0;
	int n = 0;

	if (r < 0)
		return r;
	while (off < (size_t)r) {
		size_t l = xs_strnlen(xs->rx + off, (size_t)r - off);
		struct sdrv_xs_perm p;

		if (off + l == (size_t)r || sdrv_xs_perm_parse(xs->rx + off, l, &p))
			return fail(xs, -SDRV_EPROTO);
		if ((unsigned)n < max)
			perms[n] = p;
		n++;
		off += l + 1;
	}
	return n;
}

SDRV_PUBLIC int sdrv_xs_get_perms(struct sdrv_xs *xs, uint32_t tx,
				  const char *path, struct sdrv_xs_perm *perms,
				  unsigned max)
{
	int r;

	callbacks_hold(xs);
	r = get_perms(xs, tx, path, perms, max);
	callbacks_release(xs);
	return r;
}

SDRV_PUBLIC int sdrv_xs_set_perms(struct sdrv_xs *xs, uint32_t tx,
				  const char *path,
				  const struct sdrv_xs_perm *perms,
				  unsigned nr_perms)
{
	char buf[SDRV_XS_PAYLOAD_MAX];
	size_t off = str_len(path) + 1;
	int r;

	if (off > SDRV_XS_PAYLOAD_MAX)
		return -SDRV_E2BIG;
	sdrv_copy(buf, path, off);
	for (unsigned i = 0; i < nr_perms; i++) {
		if (off + 8 > SDRV_XS_PAYLOAD_MAX)
			return -SDRV_E2BIG;
		off += sdrv_xs_perm_format(perms[i], buf + off) + 1;
	}
	r = sdrv_xs_request(xs, SDRV_XS_SET_PERMS, tx, buf, off, NULL, 0);
	return r < 0 ? r : 0;
}

SDRV_PUBLIC int sdrv_xs_read_uint(struct sdrv_xs *xs, uint32_t tx,
				  const char *path, uint64_t *value)
{
	char buf[24];
	int r = sdrv_xs_read(xs, tx, path, buf, sizeof(buf));

	if (r < 0)
		return r;
	if ((size_t)r >= sizeof(buf))
		return -SDRV_EINVAL;
	return xs_parse_uint(buf, (size_t)r, UINT64_MAX, value);
}

SDRV_PUBLIC int sdrv_xs_write_uint(struct sdrv_xs *xs, uint32_t tx,
				   const char *path, uint64_t value)
{
	char buf[24];
	size_t len = xs_format_uint(value, buf);

	return sdrv_xs_write(xs, tx, path, buf, len);
}

/* ---- watches ---- */

SDRV_PUBLIC int sdrv_xs_watch(struct sdrv_xs *xs, const char *path,
			      const char *token, sdrv_xs_watch_fn fn, void *arg)
{
	const char *argv[2] = { path, token };
	size_t plen = str_len(path), tlen = str_len(token);
	struct xs_watch *w;
	unsigned slot;
	int r;

	if (tlen + 1 > SDRV_XS_TOKEN_MAX || plen > SDRV_XS_ABS_PATH_MAX)
		return -SDRV_EINVAL;
	if (watch_by_token(xs, token))
		return -SDRV_EEXIST;
	if (!xs->watches) {
		xs->watches = xs->t->alloc(xs);
		if (!xs->watches)
			return -SDRV_ENOMEM;
		for (slot = 0; slot < XS_MAX_WATCHES; slot++)
			xs->watches[slot] = NULL;
	}
	for (slot = 0; slot < XS_MAX_WATCHES && xs->watches[slot]; slot++)
		;
	if (slot == XS_MAX_WATCHES)
		return -SDRV_ENOSPC;
	w = xs->t->alloc(xs);
	if (!w)
		return -SDRV_ENOMEM;
	w->fn = fn;
	w->arg = arg;
	sdrv_copy(w->token, token, tlen + 1);
	sdrv_copy(w->path, path, plen + 1);
	/* Registered first: the daemon's first event may arrive with the
	 * reply. */
	xs->watches[slot] = w;
	r = simple(xs, SDRV_XS_WATCH, 0, argv, 2);
	if (r) {
		xs->watches[slot] = NULL;
		xs->t->free(xs, w);
	}
	return r;
}

SDRV_PUBLIC int sdrv_xs_unwatch(struct sdrv_xs *xs, const char *path,
				const char *token)
{
	const char *argv[2] = { path, token };
	int r = simple(xs, SDRV_XS_UNWATCH, 0, argv, 2);

	for (unsigned i = 0; i < watch_slots(xs); i++) {
		struct xs_watch *w = xs->watches[i];

		if (w && w == watch_by_token(xs, token)) {
			xs->watches[i] = NULL;
			xs->t->free(xs, w);
		}
	}
	return r;
}

SDRV_PUBLIC int sdrv_xs_reset_watches(struct sdrv_xs *xs)
{
	int r = sdrv_xs_request(xs, SDRV_XS_RESET_WATCHES, 0, "", 1, NULL, 0);

	if (r < 0)
		return r;
	for (unsigned i = 0; i < watch_slots(xs); i++)
		if (xs->watches[i]) {
			xs->t->free(xs, xs->watches[i]);
			xs->watches[i] = NULL;
		}
	xs->evq.head = xs->evq.tail = 0;
	xs->evq.lost = false;
	xs->cbq.head = xs->cbq.tail = 0;
	xs->cbq.lost = false;
	return 0;
}

/* ---- transactions ---- */

SDRV_PUBLIC int sdrv_xs_transaction_start(struct sdrv_xs *xs, uint32_t *tx)
{
	char buf[16];
	uint64_t id;
	int r = sdrv_xs_request(xs, SDRV_XS_TRANSACTION_START, 0, "", 1, buf,
				sizeof(buf));

	if (r < 0)
		return r;
	if (r < 2 || (size_t)r > sizeof(buf) || buf[r - 1] != '\0' ||
	    xs_parse_uint(buf, (size_t)r - 1, UINT32_MAX, &id) || id == 0)
		return fail(xs, -SDRV_EPROTO);
	*tx = (uint32_t)id;
	return 0;
}

SDRV_PUBLIC int sdrv_xs_transaction_end(struct sdrv_xs *xs, uint32_t tx,
					bool abort)
{
	const char *arg = abort ? "F" : "T";

	return simple(xs, SDRV_XS_TRANSACTION_END, tx, &arg, 1);
}

SDRV_PUBLIC int sdrv_xs_transaction_run(struct sdrv_xs *xs, sdrv_xs_tx_fn body,
					void *arg, unsigned max_tries)
{
	for (unsigned i = 0; i < max_tries; i++) {
		uint32_t tx;
		int r = sdrv_xs_transaction_start(xs, &tx), e;

		if (r)
			return r;
		r = body(xs, tx, arg);
		if (r < 0) {
			sdrv_xs_transaction_end(xs, tx, true);
			return r;
		}
		e = sdrv_xs_transaction_end(xs, tx, false);
		if (e == 0)
			return r;
		if (e != -SDRV_EAGAIN)
			return e;
	}
	return -SDRV_EAGAIN;
}

/* ---- toolstack ---- */

static int domid_arg(char *buf, sdrv_domid_t domid)
{
	return (int)xs_format_uint(domid, buf) + 1;
}

SDRV_PUBLIC int sdrv_xs_introduce(struct sdrv_xs *xs, sdrv_domid_t domid,
				  uint64_t frame, sdrv_evtchn_port_t port)
{
	char a[24], b[24], c[24];
	const char *argv[3] = { a, b, c };

	domid_arg(a, domid);
	xs_format_uint(frame, b);
	xs_format_uint(port, c);
	return simple(xs, SDRV_XS_INTRODUCE, 0, argv, 3);
}

SDRV_PUBLIC int sdrv_xs_release(struct sdrv_xs *xs, sdrv_domid_t domid)
{
	char a[24];
	const char *argv[1] = { a };

	domid_arg(a, domid);
	return simple(xs, SDRV_XS_RELEASE, 0, argv, 1);
}

SDRV_PUBLIC int sdrv_xs_is_domain_introduced(struct sdrv_xs *xs,
					     sdrv_domid_t domid)
{
	char a[24], out[4];
	int r = sdrv_xs_request(xs, SDRV_XS_IS_DOMAIN_INTRODUCED, 0, a,
				(size_t)domid_arg(a, domid), out, sizeof(out));

	if (r < 0)
		return r;
	if (r != 2 || out[1] != '\0' || (out[0] != 'T' && out[0] != 'F'))
		return fail(xs, -SDRV_EPROTO);
	return out[0] == 'T';
}

SDRV_PUBLIC int sdrv_xs_get_domain_path(struct sdrv_xs *xs,
					sdrv_domid_t domid, char *buf,
					size_t len)
{
	char a[24];
	int r = sdrv_xs_request(xs, SDRV_XS_GET_DOMAIN_PATH, 0, a,
				(size_t)domid_arg(a, domid), buf, len);

	if (r >= 0 && (size_t)r > len)
		return -SDRV_ERANGE;
	return r;
}

SDRV_PUBLIC int sdrv_xs_control(struct sdrv_xs *xs, const char *const *argv,
				unsigned argc, char *buf, size_t len)
{
	char req[SDRV_XS_PAYLOAD_MAX];
	size_t rlen;
	int r = join(req, argv, argc, &rlen);

	if (r)
		return r;
	return sdrv_xs_request(xs, SDRV_XS_CONTROL, 0, req, rlen, buf, len);
}

SDRV_PUBLIC bool sdrv_xs_broken(const struct sdrv_xs *xs)
{
	return xs->broken;
}

SDRV_PUBLIC int sdrv_xs_fd(struct sdrv_xs *xs)
{
	return xs->t->fd(xs);
}

SDRV_PUBLIC void sdrv_xs_close(struct sdrv_xs *xs)
{
	if (!xs)
		return;
	xs_async_free(xs);
	for (unsigned i = 0; i < watch_slots(xs); i++)
		if (xs->watches[i])
			xs->t->free(xs, xs->watches[i]);
	if (xs->watches)
		xs->t->free(xs, xs->watches);
	xs->t->close(xs);
}

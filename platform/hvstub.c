/* SPDX-License-Identifier: MIT */
/*
 * platform/hvstub.c - the process environment: this process is domain N of
 * a running hv-stub daemon.  Hypercalls are messages on its socket
 * (hv-stub/proto.h), answered in order; one call at a time per domain.
 *
 * Mapping and copying: a privileged domain is handed each granter's memory
 * and pin table once per granter incarnation (a view, grant_fast.h): maps
 * are pinned by hv-stub and reached through the view, copies are pinned and
 * made in this process.  This is the trust Xen gives dom0 through privcmd.
 * An unprivileged domain gets SDRV_GNTST_permission_denied for a map and
 * copies through hv-stub's checked messages.  Notifies ring the peer's
 * doorbell (doorbell.h).
 */
#define _GNU_SOURCE
#include "platform_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "doorbell.h"
#include "grant_fast.h"
#include "msg.h"

/* A map handle indexes this table. */
#define MAX_MAPS HVP_MAX_MAP_HANDLES

struct hvstub {
	struct sdrv_platform p;
	int sock;
	pthread_mutex_t call_lock; /* one request in flight */
	uint32_t seq;
	_Alignas(8) unsigned char buf[HVP_MAX_MSG]; /* under call_lock */
	/* By map handle: the view the mapped page lies in, or NULL when
	 * the handle maps nothing here.  Under call_lock. */
	struct grant_view *map_view[MAX_MAPS];
	/* Our open ports (only we open and close them): lets a send go
	 * one-way.  Changed under call_lock and bells_lock (write). */
	uint64_t open_ports[SDRV_EVTCHN_2L_NR_PORTS / 64];
	bool privileged;
	/* Rings take bells_lock for reading, so threads notify in parallel
	 * and never wait for a hypercall; changes take call_lock, then
	 * bells_lock for writing. */
	struct doorbells *bells;
	pthread_rwlock_t bells_lock;
	/* Grant copies in our own process (privileged only); set up at the
	 * first copy.  fast_state: 0 not tried, 1 on, -1 off (messages). */
	pthread_mutex_t fast_lock;
	int fast_state;
	struct grant_fast fast;
};

static struct hvstub *to_hvstub(struct sdrv_platform *p)
{
	return (struct hvstub *)p;
}

/*
 * One request and its reply: @req/@len out, the reply's payload in h->buf
 * (returned length in *@rlen), fds into @fds.  Call lock held.
 * Return: the reply's status, or -errno if the exchange itself failed.
 */
static int call(struct hvstub *h, uint16_t type, const void *req, size_t len,
		size_t *rlen, int *fds, unsigned *nfds)
{
	struct hvp_hdr hdr = { .type = type, .seq = ++h->seq }, rep;
	long n;
	int err;

	if (rlen)
		*rlen = 0; /* whatever fails below */
	err = hvp_send(h->sock, &hdr, req, len, NULL, 0);

	if (err)
		return err;
	n = hvp_recv(h->sock, h->buf, sizeof(h->buf), fds, nfds, 0);
	if (n < 0)
		return (int)n;
	memcpy(&rep, h->buf, sizeof(rep));
	if (rep.type != type || rep.seq != hdr.seq) {
		/* Not our reply: its fds are closed here, and the caller
		 * is told it holds none (it would close them again, maybe
		 * after the numbers were reused). */
		hvp_close_fds(fds, nfds ? *nfds : 0);
		if (nfds)
			*nfds = 0;
		return -EPROTO;
	}
	if (rlen)
		*rlen = (size_t)n;
	return rep.status;
}

static void *payload(struct hvstub *h)
{
	return h->buf + sizeof(struct hvp_hdr);
}

static bool fast_ready(struct hvstub *h);

static unsigned hvstub_grant_map(struct sdrv_platform *p,
				 struct sdrv_grant_map *ops, unsigned n)
{
	struct hvstub *h = to_hvstub(p);
	struct hvp_map_op req[64];
	unsigned failed = 0;
	/* Only a privileged domain maps; its pages come out of views. */
	bool fast = fast_ready(h);

	for (unsigned base = 0; base < n; base += 64) {
		unsigned k = n - base < 64 ? n - base : 64;
		size_t rlen;
		int st;

		for (unsigned i = 0; i < k; i++)
			req[i] = (struct hvp_map_op){
				.granter = ops[base + i].granter,
				.ref = ops[base + i].ref,
				.readonly = ops[base + i].readonly };
		pthread_mutex_lock(&h->call_lock);
		st = call(h, HVP_GRANT_MAP, req, k * sizeof(*req), &rlen, NULL,
			  NULL);
		if (st == 0 && rlen != k * sizeof(*req))
			st = -EPROTO;
		if (st == 0)
			memcpy(req, payload(h), k * sizeof(*req));
		pthread_mutex_unlock(&h->call_lock);
		for (unsigned i = 0; i < k; i++) {
			struct sdrv_grant_map *op = &ops[base + i];
			struct hvp_map_op *rep = &req[i];
			struct grant_view *view = NULL;
			void *addr = NULL;

			op->addr = NULL;
			op->status = st ? SDRV_GNTST_general_error
					: (int16_t)rep->status;
			if (op->status != SDRV_GNTST_okay) {
				failed++;
				continue;
			}
			/* The page, out of the granter's view (mapped once per
			 * granter incarnation; fetched here if need be, so not
			 * under the call lock). */
			if (fast && rep->handle < MAX_MAPS)
				addr = grant_fast_map_page(&h->fast,
							   (sdrv_domid_t)rep->granter,
							   rep->generation,
							   rep->frame, op->readonly,
							   &view);
			pthread_mutex_lock(&h->call_lock);
			if (addr && h->map_view[rep->handle]) {
				grant_fast_unmap_page(&h->fast, view); /* hv-stub lied */
				addr = NULL;
			}
			if (!addr) {
				/* Pinned but not mappable here: give it back. */
				call(h, HVP_GRANT_UNMAP, rep, sizeof(*rep), NULL,
				     NULL, NULL);
				op->status = SDRV_GNTST_general_error;
				failed++;
			} else {
				op->handle = rep->handle;
				op->addr = addr;
				h->map_view[rep->handle] = view;
			}
			pthread_mutex_unlock(&h->call_lock);
		}
	}
	return failed;
}

static unsigned hvstub_grant_unmap(struct sdrv_platform *p,
				   struct sdrv_grant_map *ops, unsigned n)
{
	struct hvstub *h = to_hvstub(p);
	struct hvp_map_op req[64];
	unsigned failed = 0;

	for (unsigned base = 0; base < n; base += 64) {
		unsigned k = n - base < 64 ? n - base : 64;
		size_t rlen;
		int st;

		pthread_mutex_lock(&h->call_lock);
		for (unsigned i = 0; i < k; i++) {
			sdrv_grant_handle_t hd = ops[base + i].handle;

			/* Our page goes before the pin: the granter may reuse
			 * the frame the moment hv-stub lets go. */
			if (hd < MAX_MAPS && h->map_view[hd]) {
				grant_fast_unmap_page(&h->fast, h->map_view[hd]);
				h->map_view[hd] = NULL;
			}
			req[i] = (struct hvp_map_op){ .handle = hd };
		}
		st = call(h, HVP_GRANT_UNMAP, req, k * sizeof(*req), &rlen,
			  NULL, NULL);
		if (st == 0 && rlen != k * sizeof(*req))
			st = -EPROTO;
		for (unsigned i = 0; i < k; i++) {
			struct hvp_map_op *rep = (struct hvp_map_op *)payload(h) + i;

			ops[base + i].status = st ? SDRV_GNTST_general_error
						  : (int16_t)rep->status;
			if (ops[base + i].status != SDRV_GNTST_okay)
				failed++;
		}
		pthread_mutex_unlock(&h->call_lock);
	}
	return failed;
}

/* The fast path's way to hv-stub: one call whose reply must be exactly
 * @rep_len bytes with @nfds fds. */
static int fast_call(void *ctx, uint16_t type, const void *req, size_t len,
		     void *rep, size_t rep_len, int *fds, unsigned nfds)
{
	struct hvstub *h = ctx;
	unsigned got = nfds;
	size_t rlen;
	int st;

	pthread_mutex_lock(&h->call_lock);
	st = call(h, type, req, len, &rlen, fds, &got);
	if (st == 0 && (rlen != rep_len || got != nfds))
		st = -EPROTO;
	if (st == 0)
		memcpy(rep, payload(h), rep_len);
	else
		hvp_close_fds(fds, got);
	pthread_mutex_unlock(&h->call_lock);
	return st;
}

/* Whether this process copies grants itself (set up on first use). */
static bool fast_ready(struct hvstub *h)
{
	int state = __atomic_load_n(&h->fast_state, __ATOMIC_ACQUIRE);

	if (!h->privileged || state < 0)
		return false;
	if (state == 0) {
		pthread_mutex_lock(&h->fast_lock);
		state = h->fast_state;
		if (state == 0) {
			state = grant_fast_init(&h->fast, h, fast_call,
						h->p.domid, h->p.mem,
						h->p.nr_frames) == 0
					? 1
					: -1;
			/* pairs with the acquire above */
			__atomic_store_n(&h->fast_state, state, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&h->fast_lock);
	}
	return state > 0;
}

static unsigned copy_by_message(struct hvstub *h, struct sdrv_gnttab_copy *segs,
				unsigned n);

/* Holds need the fast path: only a process that pins on its own can keep
 * a pin for an I/O's life. */
static int hvstub_grant_hold(struct sdrv_platform *p,
			     struct sdrv_grant_hold *hold, unsigned n)
{
	struct hvstub *h = to_hvstub(p);

	if (!fast_ready(h))
		return -EOPNOTSUPP;
	return grant_fast_hold(&h->fast, hold, n);
}

static void hvstub_grant_release(struct sdrv_platform *p,
				 struct sdrv_grant_hold *hold, unsigned n)
{
	struct hvstub *h = to_hvstub(p);

	if (fast_ready(h))
		grant_fast_release(&h->fast, hold, n);
}

static int hvstub_grant_read(struct sdrv_platform *p, struct sdrv_grant_read *r,
			     unsigned n)
{
	struct hvstub *h = to_hvstub(p);

	if (!fast_ready(h))
		return -EOPNOTSUPP;
	return grant_fast_read(&h->fast, r, n);
}

static void hvstub_grant_prefetch(struct sdrv_platform *p, sdrv_domid_t granter,
				  const struct sdrv_grant_touch *t, unsigned n)
{
	struct hvstub *h = to_hvstub(p);

	if (fast_ready(h))
		grant_fast_prefetch(&h->fast, granter, t, n);
}

static unsigned hvstub_grant_copy(struct sdrv_platform *p,
				  struct sdrv_gnttab_copy *segs, unsigned n)
{
	struct hvstub *h = to_hvstub(p);
	unsigned failed, left;

	if (!fast_ready(h))
		return copy_by_message(h, segs, n);
	failed = grant_fast_copy(&h->fast, segs, n, &left);
	/* Segments naming another domain's frame: hv-stub's to do, in
	 * chunks of a small batch (rare: backends copy grants). */
	for (unsigned i = 0; left && i < n;) {
		struct sdrv_gnttab_copy batch[32];
		unsigned idx[32], k = 0;

		for (; i < n && k < 32; i++)
			if (segs[i].status == 1) {
				idx[k] = i;
				batch[k++] = segs[i];
			}
		failed += copy_by_message(h, batch, k);
		for (unsigned j = 0; j < k; j++)
			segs[idx[j]].status = batch[j].status;
		left -= k;
	}
	return failed;
}

static unsigned copy_by_message(struct hvstub *h, struct sdrv_gnttab_copy *segs,
				unsigned n)
{
	unsigned failed = 0;

	for (unsigned base = 0, k; base < n; base += k) {
		size_t rlen, bytes, moved = 0;
		int st;

		/* as many segments as one message may carry and move */
		for (k = 0; base + k < n && k < HVP_MAX_COPY_SEGS; k++) {
			if (moved + segs[base + k].len > HVP_MAX_COPY_BYTES &&
			    k > 0)
				break;
			moved += segs[base + k].len;
		}
		bytes = k * sizeof(*segs);

		pthread_mutex_lock(&h->call_lock);
		st = call(h, HVP_GRANT_COPY, segs + base, bytes, &rlen, NULL, NULL);
		if (st == 0 && rlen != bytes)
			st = -EPROTO;
		for (unsigned i = 0; i < k; i++) {
			struct sdrv_gnttab_copy *rep =
				(struct sdrv_gnttab_copy *)payload(h) + i;

			segs[base + i].status = st ? SDRV_GNTST_general_error
						   : rep->status;
			if (segs[base + i].status != SDRV_GNTST_okay)
				failed++;
		}
		pthread_mutex_unlock(&h->call_lock);
	}
	return failed;
}

static size_t evtchn_arg_size(int cmd)
{
	switch (cmd) {
	case SDRV_EVTCHNOP_alloc_unbound:
		return sizeof(struct sdrv_evtchn_alloc_unbound);
	case SDRV_EVTCHNOP_bind_interdomain:
		return sizeof(struct sdrv_evtchn_bind_interdomain);
	case SDRV_EVTCHNOP_send:
		return sizeof(struct sdrv_evtchn_send);
	case SDRV_EVTCHNOP_close:
		return sizeof(struct sdrv_evtchn_close);
	case SDRV_EVTCHNOP_status:
		return sizeof(struct sdrv_evtchn_status);
	default:
		return 0;
	}
}

static void port_set_open(struct hvstub *h, sdrv_evtchn_port_t port, bool open)
{
	if (port >= SDRV_EVTCHN_2L_NR_PORTS)
		return;
	if (open)
		h->open_ports[port / 64] |= 1ull << (port % 64);
	else
		h->open_ports[port / 64] &= ~(1ull << (port % 64));
}

/* Ask hv-stub for @port's doorbells and keep them.  Call lock held.
 * Return: 0 or -errno. */
static int fetch_doorbells(struct hvstub *h, sdrv_evtchn_port_t port)
{
	struct hvp_doorbells req = { .port = port }, rep;
	int fds[2] = { -1, -1 };
	unsigned nfds = 2;
	size_t rlen;
	int st = call(h, HVP_EVTCHN_DOORBELL, &req, sizeof(req), &rlen, fds,
		      &nfds);

	if (st == 0 && rlen != sizeof(rep))
		st = -EPROTO;
	if (st == 0) {
		memcpy(&rep, payload(h), sizeof(rep));
		if (rep.port != port || nfds != 1u + (rep.peer_bound != 0))
			st = -EPROTO;
	}
	if (st) {
		hvp_close_fds(fds, nfds);
		return st;
	}
	return doorbells_take(h->bells, port, fds[0], nfds > 1 ? fds[1] : -1,
			      rep.epoch);
}

static bool port_is_open(const struct hvstub *h, sdrv_evtchn_port_t port)
{
	return port != 0 && port < SDRV_EVTCHN_2L_NR_PORTS &&
	       (h->open_ports[port / 64] & (1ull << (port % 64)));
}

/* Ring @port's peer: its doorbell, or a one-way message to hv-stub if the
 * doorbells cannot be had.  No reply is awaited. */
static int send_one_way(struct hvstub *h, sdrv_evtchn_port_t port)
{
	struct hvp_hdr hdr = { .type = HVP_EVTCHN_SEND };
	struct sdrv_evtchn_send op = { .port = port };
	int rung = -EINVAL, st;

	/* The doorbell first: one write, the peer's own wake-up. */
	pthread_rwlock_rdlock(&h->bells_lock);
	if (port_is_open(h, port))
		rung = doorbells_ring(h->bells, port);
	pthread_rwlock_unlock(&h->bells_lock);
	if (rung >= 0)
		return 0;
	if (rung == -EINVAL)
		return -EINVAL;
	/* Never asked, or the binding moved: ask hv-stub, then ring. */
	pthread_mutex_lock(&h->call_lock);
	pthread_rwlock_wrlock(&h->bells_lock);
	rung = !port_is_open(h, port) ? -EINVAL
	       : fetch_doorbells(h, port) == 0 ? doorbells_ring(h->bells, port)
					       : -ESTALE;
	pthread_rwlock_unlock(&h->bells_lock);
	st = rung >= 0 ? 0 : rung;
	if (rung < 0 && rung != -EINVAL) {
		hdr.seq = ++h->seq;
		st = hvp_send(h->sock, &hdr, &op, sizeof(op), NULL, 0);
	}
	pthread_mutex_unlock(&h->call_lock);
	return st;
}

static int hvstub_evtchn_op(struct sdrv_platform *p, int cmd, void *arg)
{
	struct hvstub *h = to_hvstub(p);
	struct hvp_evtchn_op req = { .cmd = cmd };
	size_t size = evtchn_arg_size(cmd), rlen;
	int st;

	if (!size)
		return -ENOSYS;
	if (cmd == SDRV_EVTCHNOP_send)
		return send_one_way(h, ((struct sdrv_evtchn_send *)arg)->port);
	pthread_mutex_lock(&h->call_lock);
	memcpy(&req.u, arg, size);
	st = call(h, HVP_EVTCHN_OP, &req, sizeof(req), &rlen, NULL, NULL);
	if (st == 0 && rlen != sizeof(req))
		st = -EPROTO;
	if (st == 0) {
		memcpy(arg, &((struct hvp_evtchn_op *)payload(h))->u, size);
		sdrv_evtchn_port_t opened = 0;

		if (cmd == SDRV_EVTCHNOP_alloc_unbound &&
		    (req.u.alloc_unbound.dom == SDRV_DOMID_SELF ||
		     req.u.alloc_unbound.dom == p->domid))
			opened = ((struct sdrv_evtchn_alloc_unbound *)arg)->port;
		else if (cmd == SDRV_EVTCHNOP_bind_interdomain)
			opened = ((struct sdrv_evtchn_bind_interdomain *)arg)->local_port;
		pthread_rwlock_wrlock(&h->bells_lock);
		if (opened) {
			port_set_open(h, opened, true);
			/* Our doorbell joins the wait set now, before the
			 * peer can ring it; a failure leaves the messages. */
			fetch_doorbells(h, opened);
		} else if (cmd == SDRV_EVTCHNOP_close) {
			port_set_open(h, req.u.close.port, false);
			doorbells_forget(h->bells, req.u.close.port);
		}
		pthread_rwlock_unlock(&h->bells_lock);
	}
	pthread_mutex_unlock(&h->call_lock);
	return st;
}

static int hvstub_wait_events(struct sdrv_platform *p, int timeout_ms)
{
	struct hvstub *h = to_hvstub(p);

	if (__atomic_load_n(&h->fast_state, __ATOMIC_ACQUIRE) > 0)
		grant_fast_reap(&h->fast);
	return doorbells_wait(h->bells, timeout_ms);
}

static void hvstub_hold_port(struct sdrv_platform *p, sdrv_evtchn_port_t port,
			     bool hold)
{
	struct hvstub *h = to_hvstub(p);

	pthread_rwlock_rdlock(&h->bells_lock);
	doorbells_hold(h->bells, port, hold);
	pthread_rwlock_unlock(&h->bells_lock);
}

static void hvstub_free(struct hvstub *h)
{
	if (h->bells) {
		doorbells_fini(h->bells);
		free(h->bells);
	}
	for (unsigned i = 0; i < MAX_MAPS; i++)
		if (h->map_view[i])
			grant_fast_unmap_page(&h->fast, h->map_view[i]);
	/* after the pages: the last of a dead view's frees it */
	if (h->fast_state > 0)
		grant_fast_fini(&h->fast);
	sdrv_platform_fini_common(&h->p);
	if (h->p.mem)
		munmap(h->p.mem, (size_t)h->p.nr_frames * SDRV_PAGE_SIZE);
	if (h->p.upcall_fd >= 0)
		close(h->p.upcall_fd);
	if (h->sock >= 0)
		close(h->sock);
	pthread_mutex_destroy(&h->call_lock);
	pthread_rwlock_destroy(&h->bells_lock);
	pthread_mutex_destroy(&h->fast_lock);
	free(h);
}

static void hvstub_detach(struct sdrv_platform *p, bool shutdown)
{
	struct hvstub *h = to_hvstub(p);

	/* Said before the socket closes, which alone would be a crash:
	 * hv-stub releases the domain (it lives on) or destroys it. */
	pthread_mutex_lock(&h->call_lock);
	call(h, shutdown ? HVP_SHUTDOWN : HVP_DETACH, NULL, 0, NULL, NULL,
	     NULL);
	pthread_mutex_unlock(&h->call_lock);
	hvstub_free(h);
}

static const struct sdrv_platform_ops hvstub_ops = {
	.name = "hv-stub process",
	.grant_map = hvstub_grant_map,
	.grant_unmap = hvstub_grant_unmap,
	.grant_copy = hvstub_grant_copy,
	.grant_hold = hvstub_grant_hold,
	.grant_release = hvstub_grant_release,
	.grant_read = hvstub_grant_read,
	.grant_prefetch = hvstub_grant_prefetch,
	.evtchn_op = hvstub_evtchn_op,
	.detach = hvstub_detach,
	.wait_events = hvstub_wait_events,
	.hold_port = hvstub_hold_port,
};

SDRV_PUBLIC int sdrv_hvstub_attach(const char *socket_path, sdrv_domid_t domid,
				   struct sdrv_platform **out)
{
	struct hvstub *h = calloc(1, sizeof(*h));
	struct hvp_attach req = { .domid = domid, .version = HVP_VERSION };
	struct hvp_attach_reply rep;
	int fds[2] = { -1, -1 }, st;
	unsigned nfds = 2;
	size_t rlen;

	if (!h)
		return -ENOMEM;
	h->sock = -1;
	h->p.upcall_fd = -1;
	h->p.wait_fd = -1;
	h->p.ops = &hvstub_ops;
	h->p.domid = domid;
	pthread_mutex_init(&h->call_lock, NULL);
	pthread_rwlock_init(&h->bells_lock, NULL);
	pthread_mutex_init(&h->fast_lock, NULL);
	if (!socket_path)
		socket_path = getenv("HVSTUB_SOCKET");
	if (!socket_path || !*socket_path)
		socket_path = SDRV_HVSTUB_SOCKET_DEFAULT;
	h->sock = hvp_connect(socket_path);
	st = h->sock < 0 ? h->sock
			 : call(h, HVP_ATTACH, &req, sizeof(req), &rlen, fds, &nfds);
	if (st == 0 && (rlen != sizeof(rep) || nfds != 2))
		st = -EPROTO;
	if (st == 0 && ((const struct hvp_attach_reply *)payload(h))->version !=
			       HVP_VERSION)
		st = -EPROTONOSUPPORT;
	if (st) {
		hvp_close_fds(fds, nfds);
		hvstub_free(h);
		return st;
	}
	memcpy(&rep, payload(h), sizeof(rep));
	h->p.upcall_fd = fds[1];
	h->p.nr_frames = rep.nr_frames;
	h->p.xs_port = rep.xenstore_port;
	h->privileged = rep.privileged != 0;
	/* The toolstack opened that port for us: ours to send on. */
	if (rep.xenstore_port)
		port_set_open(h, rep.xenstore_port, true);
	h->p.mem = mmap(NULL, (size_t)rep.nr_frames * SDRV_PAGE_SIZE,
			PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	close(fds[0]);
	if (h->p.mem == MAP_FAILED) {
		st = -errno;
		h->p.mem = NULL;
	} else {
		st = sdrv_platform_init_common(&h->p);
	}
	if (!st) {
		h->bells = malloc(sizeof(*h->bells));
		st = h->bells ? doorbells_init(h->bells, h->p.upcall_fd, h->p.shinfo)
			      : -ENOMEM;
		h->p.wait_fd = h->bells ? h->bells->epfd : -1;
	}
	if (!st && h->p.xs_port) {
		pthread_mutex_lock(&h->call_lock);
		pthread_rwlock_wrlock(&h->bells_lock);
		fetch_doorbells(h, h->p.xs_port);
		pthread_rwlock_unlock(&h->bells_lock);
		pthread_mutex_unlock(&h->call_lock);
	}
	if (st) {
		hvstub_free(h);
		return st;
	}
	*out = &h->p;
	return 0;
}

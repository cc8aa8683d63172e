/* SPDX-License-Identifier: MIT */
/*
 * hv-stub/dispatch.c - one request from one connection, checked and answered.
 * Every field of a request is untrusted: sizes are checked against the type
 * before anything is read, and the core checks every value again.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

_Static_assert(HVP_MAX_MAP_HANDLES == HV_MAPTRACK_MAX,
	       "the protocol states the core's maptrack size");

static void *in_payload(struct hvd *d)
{
	return d->in + sizeof(struct hvp_hdr);
}

static void *out_payload(struct hvd *d)
{
	return d->out + sizeof(struct hvp_hdr);
}

static void reply(struct hvd *d, struct hvd_conn *c, int status, size_t len,
		  const int *fds, unsigned nfds)
{
	struct hvp_hdr *req = (struct hvp_hdr *)(void *)d->in;
	struct hvp_hdr *rep = (struct hvp_hdr *)(void *)d->out;
	int err;

	rep->type = req->type;
	rep->seq = req->seq;
	rep->status = status;
	rep->reserved = rep->reserved2 = 0;
	err = hvp_send(c->fd, rep, out_payload(d), len, fds, nfds);
	if (err) /* a client that stops reading is dropped, not waited for */
		hvd_conn_close_later(c);
}

/* A toolstack request: from root or from the user hv-stub runs as. */
static bool may_administer(const struct hvd_conn *c)
{
	return c->admin;
}

static int do_attach(struct hvd *d, struct hvd_conn *c, size_t len,
		     int *fds)
{
	const struct hvp_attach *req = in_payload(d);
	struct hvp_attach_reply *rep = out_payload(d);
	struct hv_domain info;
	struct hvd_domain *dd;

	if (len != sizeof(*req))
		return -EINVAL;
	if (req->version != HVP_VERSION)
		return -EPROTONOSUPPORT;
	if (c->domid >= 0)
		return -EISCONN;
	if (req->domid >= HV_MAX_DOMAINS ||
	    hv_domain_info(&d->hv, (sdrv_domid_t)req->domid, &info))
		return -ENOENT;
	dd = &d->doms[req->domid];
	if (dd->crashed)
		return -ESHUTDOWN;
	if (c->uid != 0 && c->uid != dd->owner_uid)
		return -EACCES;
	if (dd->conn)
		return -EBUSY;
	dd->conn = c;
	c->domid = (int)req->domid;
	*rep = (struct hvp_attach_reply){ .domid = req->domid,
					  .nr_frames = info.nr_frames,
					  .privileged = info.privileged,
					  .xenstore_port = info.xs_port,
					  .version = HVP_VERSION };
	fds[0] = info.mem_fd;
	fds[1] = info.upcall_fd;
	hvd_log("domain %u (%s): attached by pid %d uid %u", req->domid,
		info.name, (int)c->pid, (unsigned)c->uid);
	return 0;
}

/* Map ops: pins for a privileged domain, which reaches the pages through
 * its view of the granter's memory (HVP_GRANT_VIEW); the reply says which
 * frame of which incarnation each pin holds. */
static int do_map(struct hvd *d, struct hvd_conn *c, size_t len, size_t *rlen)
{
	const struct hvp_map_op *req = in_payload(d);
	struct hvp_map_op *rep = out_payload(d);
	size_t n = len / sizeof(*req);
	struct hv_domain self;
	sdrv_domid_t me = (sdrv_domid_t)c->domid;

	if (len % sizeof(*req) || n == 0 || n > HVP_MAX_MAP_OPS)
		return -EINVAL;
	if (hv_domain_info(&d->hv, me, &self))
		return -ENOTCONN;
	for (size_t i = 0; i < n; i++) {
		struct hvp_map_op op = req[i];
		struct hv_grant_view v;
		sdrv_grant_handle_t h;

		op.status = SDRV_GNTST_permission_denied;
		/* Only a privileged domain is given others' memory to map;
		 * the rest use grant copy. */
		if (self.privileged)
			op.status = hv_grant_map(&d->hv, me,
						 (sdrv_domid_t)(op.granter > UINT16_MAX
									? UINT16_MAX
									: op.granter),
						 op.ref, op.readonly != 0, &h,
						 &op.frame);
		if (op.status == SDRV_GNTST_okay) {
			op.handle = h;
			op.generation = hv_grant_view(&d->hv, me,
						      (sdrv_domid_t)op.granter,
						      &v) == 0
						? v.generation
						: 0;
		}
		rep[i] = op;
	}
	*rlen = n * sizeof(*rep);
	return 0;
}

static int do_unmap(struct hvd *d, struct hvd_conn *c, size_t len, size_t *rlen)
{
	const struct hvp_map_op *req = in_payload(d);
	struct hvp_map_op *rep = out_payload(d);
	size_t n = len / sizeof(*req);

	if (len % sizeof(*req) || n == 0 || n > HVP_MAX_MAP_OPS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		rep[i] = req[i];
		rep[i].status = hv_grant_unmap(&d->hv, (sdrv_domid_t)c->domid,
					       req[i].handle > UINT16_MAX
						       ? UINT16_MAX
						       : (sdrv_grant_handle_t)req[i].handle);
	}
	*rlen = len;
	return 0;
}

static int do_copy(struct hvd *d, struct hvd_conn *c, size_t len, size_t *rlen,
		   unsigned *work)
{
	struct sdrv_gnttab_copy *segs = out_payload(d);
	size_t n = len / sizeof(*segs), bytes = 0;

	if (len % sizeof(*segs) || n == 0 || n > HVP_MAX_COPY_SEGS)
		return -EINVAL;
	memcpy(segs, in_payload(d), len);
	for (size_t i = 0; i < n; i++)
		bytes += segs[i].len;
	if (bytes > HVP_MAX_COPY_BYTES)
		return -E2BIG; /* nothing copied: others would wait */
	*work += (unsigned)(bytes / SDRV_PAGE_SIZE);
	hv_grant_copy(&d->hv, (sdrv_domid_t)c->domid, segs, (unsigned)n);
	*rlen = len;
	return 0;
}

_Static_assert(sizeof(struct sdrv_gnt_pin) == 24, "HVP_PIN_LOG_BYTES");

void hvd_fastpath_end(struct hvd *d, struct hvd_conn *c, bool recover)
{
	unsigned undone;

	if (!c->pin_log)
		return;
	if (recover) {
		undone = hv_pin_recover(&d->hv, c->pin_token, c->pin_log,
					HVP_PIN_LOG_RECORDS);
		if (undone)
			hvd_log("pid %d: dropped %u grant pins it left behind",
				(int)c->pid, undone);
	}
	munmap(c->pin_log_hdr, HVP_PIN_LOG_BYTES);
	c->pin_log_hdr = NULL;
	c->pin_log = NULL;
}

/* A privileged domain's process will pin and copy grants itself: its lock
 * token, and a log of the pins it holds for hv-stub to undo if it dies. */
static int do_fastpath(struct hvd *d, struct hvd_conn *c, size_t *rlen,
		       int *fds, unsigned *nfds)
{
	struct hvp_fastpath *rep = out_payload(d);
	struct hv_domain self;
	void *log;
	int fd;

	if (hv_domain_info(&d->hv, (sdrv_domid_t)c->domid, &self))
		return -ENOTCONN;
	if (!self.privileged)
		return -EPERM;
	if (c->pin_log)
		return -EALREADY;
	fd = memfd_create("pin-log", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, HVP_PIN_LOG_BYTES) < 0 ||
	    (log = mmap(NULL, HVP_PIN_LOG_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
			fd, 0)) == MAP_FAILED) {
		int err = -errno;

		close(fd);
		return err;
	}
	c->pin_log_hdr = log;
	c->pin_log = (struct sdrv_gnt_pin *)(void *)(c->pin_log_hdr + 1);
	c->pin_token = d->next_pin_token++;
	if (d->next_pin_token == 0) /* 4 billion backends later */
		d->next_pin_token = HV_PIN_TOKEN_CORE + 1;
	*rep = (struct hvp_fastpath){ .token = c->pin_token,
				      .nr_log = HVP_PIN_LOG_RECORDS };
	*rlen = sizeof(*rep);
	fds[0] = fd; /* closed after the reply: the mapping keeps it */
	*nfds = 1;
	return 0;
}

/* A granter's memory and pin table, for a process that pins itself. */
static int do_view(struct hvd *d, struct hvd_conn *c, size_t len, size_t *rlen,
		   int *fds, unsigned *nfds)
{
	struct hvp_domid req;
	struct hvp_grant_view *rep = out_payload(d);
	struct hv_grant_view v;
	int err;

	if (len != sizeof(req))
		return -EINVAL;
	if (!c->pin_log)
		return -ENOTCONN; /* HVP_GRANT_FASTPATH first */
	memcpy(&req, in_payload(d), sizeof(req));
	if (req.domid >= HV_MAX_DOMAINS)
		return -ESRCH;
	err = hv_grant_view(&d->hv, (sdrv_domid_t)c->domid,
			    (sdrv_domid_t)req.domid, &v);
	if (err)
		return err;
	*rep = (struct hvp_grant_view){ .domid = req.domid,
					.nr_frames = v.nr_frames,
					.nr_entries = v.nr_entries,
					.first_frame = v.first_frame,
					.generation = v.generation };
	*rlen = sizeof(*rep);
	fds[0] = v.mem_fd;
	fds[1] = v.active_fd;
	*nfds = 2;
	return 0;
}

/* An open port's doorbells: the caller's own and, if bound, its peer's. */
static int do_doorbell(struct hvd *d, struct hvd_conn *c, size_t len,
		       size_t *rlen, int *fds, unsigned *nfds)
{
	struct hvp_doorbells req, *rep = out_payload(d);
	struct hv_domain self;
	int mine, peer, err;

	if (len != sizeof(req))
		return -EINVAL;
	memcpy(&req, in_payload(d), sizeof(req));
	if (req.port >= SDRV_EVTCHN_2L_NR_PORTS ||
	    hv_domain_info(&d->hv, (sdrv_domid_t)c->domid, &self))
		return -EINVAL;
	/* The epoch first: a binding that changes after it moves it again. */
	rep->epoch = __atomic_load_n(
		(uint64_t *)(void *)(self.mem +
				     (size_t)SDRV_PLATFORM_SHINFO_FRAME * SDRV_PAGE_SIZE +
				     SDRV_SHINFO_BINDING_EPOCH_OFFSET),
		__ATOMIC_ACQUIRE);
	err = hv_evtchn_doorbells(&d->hv, (sdrv_domid_t)c->domid,
				  (sdrv_evtchn_port_t)req.port, &mine, &peer);
	if (err)
		return err;
	rep->port = req.port;
	rep->peer_bound = peer >= 0;
	fds[(*nfds)++] = mine;
	if (peer >= 0)
		fds[(*nfds)++] = peer;
	*rlen = sizeof(*rep);
	return 0;
}

static int do_evtchn(struct hvd *d, struct hvd_conn *c, size_t len, size_t *rlen)
{
	struct hvp_evtchn_op *op = out_payload(d);
	sdrv_domid_t me = (sdrv_domid_t)c->domid;

	if (len != sizeof(*op))
		return -EINVAL;
	memcpy(op, in_payload(d), len);
	*rlen = len;
	switch (op->cmd) {
	case SDRV_EVTCHNOP_alloc_unbound:
		return hv_evtchn_alloc_unbound(&d->hv, me, op->u.alloc_unbound.dom,
					       op->u.alloc_unbound.remote_dom,
					       &op->u.alloc_unbound.port);
	case SDRV_EVTCHNOP_bind_interdomain:
		return hv_evtchn_bind_interdomain(
			&d->hv, me, op->u.bind_interdomain.remote_dom,
			op->u.bind_interdomain.remote_port,
			&op->u.bind_interdomain.local_port);
	case SDRV_EVTCHNOP_send:
		return hv_evtchn_send(&d->hv, me, op->u.send.port);
	case SDRV_EVTCHNOP_close:
		return hv_evtchn_close(&d->hv, me, op->u.close.port);
	case SDRV_EVTCHNOP_status:
		return hv_evtchn_status(&d->hv, me, &op->u.status);
	default:
		return -ENOSYS;
	}
}

static int do_create(struct hvd *d, size_t len)
{
	struct hvp_create req;
	int err;

	if (len != sizeof(req))
		return -EINVAL;
	memcpy(&req, in_payload(d), sizeof(req));
	if (hvd_xs_down(d))
		return -EHOSTDOWN; /* a guest would wait for XenStore forever */
	if (memchr(req.name, '\0', sizeof(req.name)) == NULL ||
	    req.domid >= HV_MAX_DOMAINS ||
	    req.on_crash > HVP_ON_CRASH_PRESERVE)
		return -EINVAL;
	err = hv_domain_create(&d->hv, (sdrv_domid_t)req.domid, req.name,
			       req.nr_frames, req.privileged != 0);
	if (!err && req.max_ports)
		err = hv_domain_set_max_ports(&d->hv, (sdrv_domid_t)req.domid,
					      req.max_ports);
	if (err == -EINVAL && req.max_ports) /* created, but the limit was bad */
		hv_domain_destroy(&d->hv, (sdrv_domid_t)req.domid);
	if (err)
		return err;
	d->doms[req.domid] = (struct hvd_domain){
		.exists = true, .owner_uid = req.owner_uid,
		.on_crash = req.on_crash == HVP_ON_CRASH_DEFAULT ? d->default_on_crash
								 : req.on_crash };
	hvd_log("domain %u (%s): created, %u frames%s, owner uid %u",
		req.domid, req.name, req.nr_frames,
		req.privileged ? ", privileged" : "", req.owner_uid);
	hvd_xs_domain_created(d, (sdrv_domid_t)req.domid);
	return 0;
}

static int do_destroy(struct hvd *d, size_t len)
{
	struct hvp_domid req;

	if (len != sizeof(req))
		return -EINVAL;
	memcpy(&req, in_payload(d), sizeof(req));
	if (req.domid >= HV_MAX_DOMAINS || !d->doms[req.domid].exists)
		return -ENOENT;
	if (req.domid == 0)
		return -EPERM; /* as in Xen: dom0 is not destroyed */
	if (hvd_xs_is_service_domain(d, (sdrv_domid_t)req.domid) &&
	    hvd_xs_dependents(d) > 0)
		return -EBUSY; /* guests would lose XenStore */
	hvd_domain_destroy(d, (sdrv_domid_t)req.domid, "destroyed by toolstack");
	return 0;
}

/* Text into the reply payload; returns its length (truncated to fit). */
static int do_text(struct hvd *d, uint16_t type, size_t len, size_t *rlen)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f;
	int err = 0;

	if (type == HVP_SHOW && len != sizeof(struct hvp_domid))
		return -EINVAL;
	f = open_memstream(&text, &size);
	if (!f)
		return -ENOMEM;
	if (type == HVP_LIST) {
		hv_list_header(f);
		for (unsigned id = 0; id < HV_MAX_DOMAINS; id++) {
			const struct hvd_domain *dd = &d->doms[id];

			if (!dd->exists ||
			    hv_domain_list_row(&d->hv, (sdrv_domid_t)id, f))
				continue;
			if (dd->crashed)
				fprintf(f, " crashed\n");
			else if (dd->conn)
				fprintf(f, " pid %d\n", (int)dd->conn->pid);
			else
				fprintf(f, " -\n");
		}
	} else {
		struct hvp_domid req;

		memcpy(&req, in_payload(d), sizeof(req));
		err = req.domid >= HV_MAX_DOMAINS ? -ENOENT
			: hv_domain_describe(&d->hv, (sdrv_domid_t)req.domid, f);
	}
	fclose(f);
	*rlen = size < HVP_MAX_MSG - sizeof(struct hvp_hdr)
			? size
			: HVP_MAX_MSG - sizeof(struct hvp_hdr);
	memcpy(out_payload(d), text, *rlen);
	free(text);
	return err;
}

void hvd_refuse(struct hvd *d, struct hvd_conn *c, int status)
{
	const struct hvp_hdr *hdr = (const struct hvp_hdr *)(const void *)d->in;

	if (hdr->type != HVP_EVTCHN_SEND)
		reply(d, c, status, 0, NULL, 0);
}

unsigned hvd_dispatch(struct hvd *d, struct hvd_conn *c, size_t len)
{
	const struct hvp_hdr *hdr = (const struct hvp_hdr *)(const void *)d->in;
	int fds[HVP_MAX_FDS];
	unsigned nfds = 0, work = 1;
	size_t rlen = 0;
	int st;

	switch (hdr->type) {
	case HVP_EVTCHN_SEND:
		/* one-way: a bad one is dropped, as a send to nowhere is */
		if (c->domid >= 0 && len == sizeof(struct sdrv_evtchn_send))
			hv_evtchn_send(&d->hv, (sdrv_domid_t)c->domid,
				       ((const struct sdrv_evtchn_send *)in_payload(d))->port);
		return work;
	case HVP_ATTACH:
		st = do_attach(d, c, len, fds);
		if (st == 0) {
			rlen = sizeof(struct hvp_attach_reply);
			nfds = 2;
		}
		break;
	case HVP_SHUTDOWN:
	case HVP_DETACH:
	case HVP_GRANT_MAP:
	case HVP_GRANT_UNMAP:
	case HVP_GRANT_COPY:
	case HVP_EVTCHN_OP:
	case HVP_GRANT_FASTPATH:
	case HVP_GRANT_VIEW:
	case HVP_EVTCHN_DOORBELL:
		if (c->domid < 0) {
			st = -ENOTCONN;
			break;
		}
		if (hdr->type == HVP_SHUTDOWN || hdr->type == HVP_DETACH) {
			reply(d, c, 0, 0, NULL, 0);
			hvd_domain_detach(d, c, hdr->type == HVP_SHUTDOWN
						     ? HVD_DETACH_SHUTDOWN
						     : HVD_DETACH_RELEASE);
			return work;
		}
		if (hdr->type == HVP_GRANT_FASTPATH) {
			st = len ? -EINVAL : do_fastpath(d, c, &rlen, fds, &nfds);
			reply(d, c, st, st ? 0 : rlen, fds, nfds);
			if (nfds)
				close(fds[0]);
			return work;
		}
		if (hdr->type == HVP_GRANT_VIEW) {
			st = do_view(d, c, len, &rlen, fds, &nfds);
			break;
		}
		if (hdr->type == HVP_EVTCHN_DOORBELL) {
			st = do_doorbell(d, c, len, &rlen, fds, &nfds);
			break;
		}
		st = hdr->type == HVP_GRANT_MAP
			     ? do_map(d, c, len, &rlen)
		     : hdr->type == HVP_GRANT_UNMAP ? do_unmap(d, c, len, &rlen)
		     : hdr->type == HVP_GRANT_COPY ? do_copy(d, c, len, &rlen, &work)
						    : do_evtchn(d, c, len, &rlen);
		break;
	case HVP_CREATE:
	case HVP_DESTROY:
	case HVP_LIST:
	case HVP_SHOW:
		if (!may_administer(c)) {
			st = -EACCES;
			break;
		}
		st = hdr->type == HVP_CREATE    ? do_create(d, len)
		     : hdr->type == HVP_DESTROY ? do_destroy(d, len)
						: do_text(d, hdr->type, len, &rlen);
		break;
	default:
		st = -ENOSYS;
	}
	/* An evtchn op's result travels in its struct whatever the status. */
	if (st && hdr->type != HVP_EVTCHN_OP && hdr->type != HVP_SHOW)
		rlen = 0;
	if (hdr->type == HVP_GRANT_MAP && st == 0)
		work += (unsigned)(len / sizeof(struct hvp_map_op)) / 8;
	reply(d, c, st, rlen, fds, nfds);
	return work;
}

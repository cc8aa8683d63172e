/* SPDX-License-Identifier: MIT */
/*
 * platform/inproc.c - the in-process environment: the hv-stub core lives in
 * this process and domains are threads.  A hypercall is a call into the
 * core, which makes every check it makes for process domains; a mapping is
 * the granter's page as the core maps it.
 */
#define _GNU_SOURCE
#include "platform_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "hv.h"
#include "builder.h"
#include "inproc.h"

struct sdrv_inproc_hv {
	struct hv hv;
	bool attached[HV_MAX_DOMAINS]; /* under hv.lock */
};

struct inproc {
	struct sdrv_platform p;
	struct sdrv_inproc_hv *ih;
};

static struct inproc *to_inproc(struct sdrv_platform *p)
{
	return (struct inproc *)p;
}

static struct hv *hv_of(struct sdrv_platform *p)
{
	return &to_inproc(p)->ih->hv;
}

static unsigned inproc_grant_map(struct sdrv_platform *p,
				 struct sdrv_grant_map *ops, unsigned n)
{
	unsigned failed = 0;

	for (unsigned i = 0; i < n; i++) {
		uint32_t frame;

		ops[i].status = (int16_t)hv_grant_map(hv_of(p), p->domid,
						      ops[i].granter, ops[i].ref,
						      ops[i].readonly,
						      &ops[i].handle, &frame);
		ops[i].addr = NULL;
		if (ops[i].status == SDRV_GNTST_okay)
			ops[i].addr = hv_grant_page(hv_of(p), p->domid,
						    ops[i].handle);
		else
			failed++;
	}
	return failed;
}

static unsigned inproc_grant_unmap(struct sdrv_platform *p,
				   struct sdrv_grant_map *ops, unsigned n)
{
	unsigned failed = 0;

	for (unsigned i = 0; i < n; i++) {
		ops[i].status = (int16_t)hv_grant_unmap(hv_of(p), p->domid,
							ops[i].handle);
		if (ops[i].status != SDRV_GNTST_okay)
			failed++;
	}
	return failed;
}

static unsigned inproc_grant_copy(struct sdrv_platform *p,
				  struct sdrv_gnttab_copy *segs, unsigned n)
{
	return hv_grant_copy(hv_of(p), p->domid, segs, n);
}

static int inproc_evtchn_op(struct sdrv_platform *p, int cmd, void *arg)
{
	struct hv *hv = hv_of(p);

	switch (cmd) {
	case SDRV_EVTCHNOP_alloc_unbound: {
		struct sdrv_evtchn_alloc_unbound *op = arg;

		return hv_evtchn_alloc_unbound(hv, p->domid, op->dom,
					       op->remote_dom, &op->port);
	}
	case SDRV_EVTCHNOP_bind_interdomain: {
		struct sdrv_evtchn_bind_interdomain *op = arg;

		return hv_evtchn_bind_interdomain(hv, p->domid, op->remote_dom,
						  op->remote_port,
						  &op->local_port);
	}
	case SDRV_EVTCHNOP_send:
		return hv_evtchn_send(hv, p->domid,
				      ((struct sdrv_evtchn_send *)arg)->port);
	case SDRV_EVTCHNOP_close:
		return hv_evtchn_close(hv, p->domid,
				       ((struct sdrv_evtchn_close *)arg)->port);
	case SDRV_EVTCHNOP_status:
		return hv_evtchn_status(hv, p->domid, arg);
	default:
		return -ENOSYS;
	}
}

/* Free the handle; the domain is untouched. */
static void inproc_free(struct sdrv_platform *p)
{
	struct inproc *ip = to_inproc(p);

	pthread_mutex_lock(&ip->ih->hv.lock);
	ip->ih->attached[p->domid] = false;
	pthread_mutex_unlock(&ip->ih->hv.lock);
	sdrv_platform_fini_common(p);
	if (p->upcall_fd >= 0)
		close(p->upcall_fd);
	free(ip);
}

static void inproc_detach(struct sdrv_platform *p, bool shutdown)
{
	struct hv *hv = hv_of(p);
	sdrv_domid_t domid = p->domid;

	inproc_free(p);
	if (shutdown)
		hv_domain_destroy(hv, domid);
	else
		hv_domain_reset(hv, domid);
}

static const struct sdrv_platform_ops inproc_ops = {
	.name = "in-process",
	.grant_map = inproc_grant_map,
	.grant_unmap = inproc_grant_unmap,
	.grant_copy = inproc_grant_copy,
	.evtchn_op = inproc_evtchn_op,
	.detach = inproc_detach,
};

int sdrv_inproc_hv_create(struct sdrv_inproc_hv **out)
{
	struct sdrv_inproc_hv *ih = calloc(1, sizeof(*ih));
	int err;

	if (!ih)
		return -ENOMEM;
	err = hv_init(&ih->hv);
	if (err) {
		free(ih);
		return err;
	}
	*out = ih;
	return 0;
}

void sdrv_inproc_hv_destroy(struct sdrv_inproc_hv *ih)
{
	if (!ih)
		return;
	hv_fini(&ih->hv);
	free(ih);
}

int sdrv_inproc_domain_create(struct sdrv_inproc_hv *ih,
					  sdrv_domid_t domid, const char *name,
					  uint32_t nr_frames, bool privileged)
{
	return hv_domain_create(&ih->hv, domid, name, nr_frames, privileged);
}

int sdrv_inproc_domain_destroy(struct sdrv_inproc_hv *ih,
					   sdrv_domid_t domid)
{
	return hv_domain_destroy(&ih->hv, domid);
}

int sdrv_inproc_attach(struct sdrv_inproc_hv *ih,
				   sdrv_domid_t domid,
				   struct sdrv_platform **out)
{
	struct inproc *ip;
	struct sdrv_platform *p;
	struct hv_domain info;
	int err = 0;

	ip = calloc(1, sizeof(*ip));
	if (!ip)
		return -ENOMEM;
	p = &ip->p;
	p->ops = &inproc_ops;
	p->domid = domid;
	p->upcall_fd = -1;
	ip->ih = ih;
	if (hv_domain_info(&ih->hv, domid, &info)) {
		free(ip);
		return -ENOENT;
	}
	/* the core keeps both for the domain's life: ours to use */
	p->mem = info.mem;
	p->nr_frames = info.nr_frames;
	p->xs_port = info.xs_port;
	pthread_mutex_lock(&ih->hv.lock);
	if (ih->attached[domid])
		err = -EBUSY;
	else
		ih->attached[domid] = true;
	pthread_mutex_unlock(&ih->hv.lock);
	if (err) {
		free(ip);
		return err;
	}
	p->upcall_fd = fcntl(info.upcall_fd, F_DUPFD_CLOEXEC, 0);
	err = p->upcall_fd < 0 ? -errno : sdrv_platform_init_common(p);
	if (err) {
		inproc_free(p);
		return err;
	}
	*out = p;
	return 0;
}

int sdrv_inproc_domain_xenstore(struct sdrv_inproc_hv *ih,
					    sdrv_domid_t domid,
					    sdrv_domid_t xs_domid)
{
	return hvb_xenstore_setup(&ih->hv, domid, xs_domid);
}

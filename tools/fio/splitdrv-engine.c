/* SPDX-License-Identifier: MIT */
/*
 * fio's external engine for splitdrv: every I/O of a fio job goes through
 * blkfront, across the shared ring, to blkback.
 *
 *   fio --ioengine=external:/path/to/splitdrv-fio.so --domid=1 ...
 *
 * The job process becomes the guest domain (hv-stub process domain
 * --domid), connects its vbd (--vdev) and allocates fio's buffers in the
 * domain's own memory, so each request grants fio's pages themselves: no
 * copy in the guest.  Built against the headers of the installed fio's
 * own source (scripts/install-deps.sh fetches Debian's fio source
 * package), and refuses to load into another fio version.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fio.h"
#include "optgroup.h"

#include <splitdrv/blkfront.h>
#include <splitdrv/platform.h>
#include <splitdrv/xenbus.h>
#include <splitdrv/xs.h>

extern const char fio_version_string[];

struct sd_options {
	void *pad; /* fio: off1 must not be 0 */
	unsigned int domid;
	unsigned int vdev;
	char *hvstub;
	unsigned int no_features;
	unsigned int queues;
};

static struct fio_option options[] = {
	{
		.name = "domid",
		.lname = "splitdrv guest domain",
		.type = FIO_OPT_INT,
		.off1 = offsetof(struct sd_options, domid),
		.help = "The hv-stub domain this job becomes (required)",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_INVALID,
	},
	{
		.name = "vdev",
		.lname = "splitdrv virtual device",
		.type = FIO_OPT_INT,
		.off1 = offsetof(struct sd_options, vdev),
		.def = "51712",
		.help = "The domain's vbd (51712 is xvda)",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_INVALID,
	},
	{
		.name = "hvstub",
		.lname = "hv-stub socket",
		.type = FIO_OPT_STR_STORE,
		.off1 = offsetof(struct sd_options, hvstub),
		.help = "hv-stub's socket (default $HVSTUB_SOCKET)",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_INVALID,
	},
	{
		.name = "no_features",
		.lname = "no optional blkif features",
		.type = FIO_OPT_STR_SET,
		.off1 = offsetof(struct sd_options, no_features),
		.help = "One ring page, one queue, 11 segments (an old frontend)",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_INVALID,
	},
	{
		.name = "queues",
		.lname = "blkif queues",
		.type = FIO_OPT_INT,
		.off1 = offsetof(struct sd_options, queues),
		.def = "1",
		.help = "Queues to ask for (multi-queue)",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_INVALID,
	},
	{ .name = NULL },
};

struct sd_data {
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	struct sdrv_blkfront *bf;
	struct io_u **events;
	unsigned nr_events;
	void *mem;
	unsigned mem_pages;
};

static int attach(struct thread_data *td, struct sdrv_platform **p,
		  struct sdrv_xs **xs)
{
	struct sd_options *o = td->eo;
	int err;

	if (strcmp(fio_version_string, SDRV_FIO_VERSION)) {
		log_err("splitdrv: built for %s, loaded into %s: rebuild the engine "
			"(scripts/install-deps.sh fetches the matching fio source)\n",
			SDRV_FIO_VERSION, fio_version_string);
		return -EINVAL;
	}
	if (!o->domid) {
		log_err("splitdrv: --domid=N is required (the guest domain)\n");
		return -EINVAL;
	}
	err = sdrv_hvstub_attach(o->hvstub, (sdrv_domid_t)o->domid, p);
	if (err) {
		log_err("splitdrv: domain %u: cannot attach to hv-stub: %s\n",
			o->domid, strerror(-err));
		return err;
	}
	err = sdrv_xs_open_ring(*p, xs);
	if (err) {
		log_err("splitdrv: domain %u: no XenStore ring: %s\n", o->domid,
			strerror(-err));
		sdrv_platform_detach(*p);
	}
	return err;
}

/* In fio's main process: the disk's size, read from XenStore. */
static int sd_setup(struct thread_data *td)
{
	struct sd_options *o = td->eo;
	struct sdrv_xenbus_dev xb;
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	uint64_t sectors = 0;
	int err;

	if (!td->files_index) {
		add_file(td, "splitdrv", 0, 0);
		td->o.nr_files = td->o.nr_files ?: 1;
		td->o.open_files++;
	}
	err = attach(td, &p, &xs);
	if (err)
		return 1;
	err = sdrv_xenbus_attach(&xb, xs, false, (sdrv_domid_t)o->domid, 0,
				 "vbd", o->vdev);
	if (!err)
		err = sdrv_xenbus_read_uint(&xb, true, "sectors", &sectors);
	if (err)
		log_err("splitdrv: domain %u: vbd %u: %s (hvctl block-attach it, "
			"and start blkback)\n", o->domid, o->vdev, strerror(-err));
	else
		td->files[0]->real_file_size = sectors * 512;
	if (xb.xs)
		sdrv_xenbus_detach(&xb);
	sdrv_xs_close(xs);
	sdrv_platform_detach(p);
	return err ? 1 : 0;
}

/* In the job's process: become the domain and connect the disk. */
static int sd_init(struct thread_data *td)
{
	struct sd_options *o = td->eo;
	struct sdrv_blkfront_config cfg = { 0 };
	struct sd_data *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return 1;
	td->io_ops_data = d;
	d->events = calloc(td->o.iodepth, sizeof(*d->events));
	if (!d->events || attach(td, &d->p, &d->xs))
		return 1;
	cfg.no_features = o->no_features;
	cfg.nr_queues = o->queues;
	err = sdrv_blkfront_open(d->p, d->xs, o->vdev, &cfg, &d->bf);
	if (err) {
		log_err("splitdrv: domain %u: vbd %u: %s\n", o->domid, o->vdev,
			strerror(-err));
		return 1;
	}
	return 0;
}

static void sd_cleanup(struct thread_data *td)
{
	struct sd_data *d = td->io_ops_data;

	if (!d)
		return;
	if (d->bf && sdrv_blkfront_info(d->bf)->reconnects) {
		const struct sdrv_blkfront_info *in = sdrv_blkfront_info(d->bf);

		log_info("splitdrv: vbd %u: the backend came back %u time%s; "
			 "%u request%s sent again\n",
			 ((struct sd_options *)td->eo)->vdev, in->reconnects,
			 in->reconnects == 1 ? "" : "s", in->reissued,
			 in->reissued == 1 ? "" : "s");
	}
	sdrv_blkfront_close(d->bf);
	sdrv_xs_close(d->xs);
	if (d->p)
		sdrv_platform_detach(d->p);
	free(d->events);
	free(d);
	td->io_ops_data = NULL;
}

/* fio's buffers in the domain's own memory: granted as they are. */
static int sd_iomem_alloc(struct thread_data *td, size_t size)
{
	struct sd_data *d = td->io_ops_data;

	d->mem_pages = (unsigned)((size + 4095) / 4096);
	d->mem = sdrv_pages_alloc(d->p, d->mem_pages);
	if (!d->mem) {
		log_err("splitdrv: domain %u has no %zu bytes free for fio's "
			"buffers: give it more (hvctl create --mem)\n",
			((struct sd_options *)td->eo)->domid, size);
		return 1;
	}
	td->orig_buffer = d->mem;
	return 0;
}

static void sd_iomem_free(struct thread_data *td)
{
	struct sd_data *d = td->io_ops_data;

	if (d && d->mem)
		sdrv_pages_free(d->p, d->mem, d->mem_pages);
	if (d)
		d->mem = NULL;
}

static int sd_io_u_init(struct thread_data *td, struct io_u *io_u)
{
	(void)td;
	io_u->engine_data = calloc(1, sizeof(struct sdrv_blkfront_req));
	return io_u->engine_data ? 0 : 1;
}

static void sd_io_u_free(struct thread_data *td, struct io_u *io_u)
{
	(void)td;
	free(io_u->engine_data);
	io_u->engine_data = NULL;
}

static enum fio_q_status sd_queue(struct thread_data *td, struct io_u *io_u)
{
	struct sd_data *d = td->io_ops_data;
	struct sdrv_blkfront_req *r = io_u->engine_data;
	int err;

	fio_ro_check(td, io_u);
	switch (io_u->ddir) {
	case DDIR_READ:
		r->operation = SDRV_BLKIF_OP_READ;
		break;
	case DDIR_WRITE:
		r->operation = SDRV_BLKIF_OP_WRITE;
		break;
	case DDIR_SYNC:
	case DDIR_DATASYNC:
		r->operation = SDRV_BLKIF_OP_FLUSH_DISKCACHE;
		break;
	case DDIR_TRIM:
		r->operation = SDRV_BLKIF_OP_DISCARD;
		break;
	default:
		io_u->error = EINVAL;
		return FIO_Q_COMPLETED;
	}
	r->sector = io_u->offset / 512;
	r->buf = io_u->xfer_buf;
	r->len = (uint32_t)io_u->xfer_buflen;
	r->cookie = io_u;
	if (r->operation == SDRV_BLKIF_OP_FLUSH_DISKCACHE) {
		r->buf = NULL;
		r->len = 0;
	}
	err = sdrv_blkfront_submit(d->bf, r);
	if (err == -EAGAIN)
		return FIO_Q_BUSY;
	if (err) {
		io_u->error = -err;
		return FIO_Q_COMPLETED;
	}
	return FIO_Q_QUEUED;
}

static int sd_commit(struct thread_data *td)
{
	struct sd_data *d = td->io_ops_data;

	sdrv_blkfront_kick(d->bf);
	return 0;
}

static int sd_getevents(struct thread_data *td, unsigned int min,
			unsigned int max, const struct timespec *t)
{
	struct sd_data *d = td->io_ops_data;
	struct sdrv_blkfront_req *done[256];

	(void)t;
	d->nr_events = 0;
	if (max > 256)
		max = 256;
	for (;;) {
		unsigned n = sdrv_blkfront_complete(d->bf, done,
						    max - d->nr_events);

		for (unsigned i = 0; i < n; i++) {
			struct io_u *io_u = done[i]->cookie;

			io_u->error = done[i]->status ? -done[i]->status : 0;
			d->events[d->nr_events++] = io_u;
		}
		if (d->nr_events >= min || d->nr_events == max)
			return (int)d->nr_events;
		if (!sdrv_blkfront_in_flight(d->bf))
			return (int)d->nr_events;
		if (sdrv_blkfront_wait(d->bf, 1000) < 0)
			return -EIO;
	}
}

static struct io_u *sd_event(struct thread_data *td, int event)
{
	struct sd_data *d = td->io_ops_data;

	return d->events[event];
}

static int sd_open_file(struct thread_data *td, struct fio_file *f)
{
	(void)td;
	(void)f;
	return 0;
}

static int sd_invalidate(struct thread_data *td, struct fio_file *f)
{
	(void)td;
	(void)f;
	return 0;
}

struct ioengine_ops ioengine = {
	.name = "splitdrv",
	.version = FIO_IOOPS_VERSION,
	.flags = FIO_DISKLESSIO | FIO_NOEXTEND | FIO_NODISKUTIL,
	.setup = sd_setup,
	.init = sd_init,
	.cleanup = sd_cleanup,
	.queue = sd_queue,
	.commit = sd_commit,
	.getevents = sd_getevents,
	.event = sd_event,
	.open_file = sd_open_file,
	.invalidate = sd_invalidate,
	.iomem_alloc = sd_iomem_alloc,
	.iomem_free = sd_iomem_free,
	.io_u_init = sd_io_u_init,
	.io_u_free = sd_io_u_free,
	.options = options,
	.option_struct_size = sizeof(struct sd_options),
};

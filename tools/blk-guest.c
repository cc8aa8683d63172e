/* SPDX-License-Identifier: MIT */
/*
 * blk-guest: be domain ID, connect its virtual disk through blkfront, and
 * write then read back and check blocks (a quick look that data moves; fio
 * with the splitdrv engine is the real load).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitdrv/blkfront.h>
#include <splitdrv/platform.h>
#include <splitdrv/xs.h>

#include "cli.h"
#include "cli_domain.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: blk-guest [OPTION]... ID\n"
		"Become domain ID of hv-stub, connect its virtual disk through\n"
		"blkfront, write COUNT blocks of a pattern spread over the disk, read\n"
		"them back and compare, flush, and print what was agreed and moved.\n"
		"\n"
		"  -s, --socket SOCKET  hv-stub's socket (default: $HVSTUB_SOCKET or\n"
		"                       " SDRV_HVSTUB_SOCKET_DEFAULT ")\n"
		"      --vdev N         the device (default 51712, xvda)\n"
		"      --count N        blocks to write and check (default 256)\n"
		"      --bs BYTES       block size, 512 to 131072 (default 4096)\n"
		"      --depth N        requests in flight (default 32)\n"
		"      --read-only      only read (a read-only disk)\n"
		"      --no-features    ask for no optional feature (one page, one\n"
		"                       queue, 11 segments), as an old frontend\n"
		"  -h, --help           show this help and exit\n"
		"      --version        show the version and exit\n"
		"\n"
		"Exit status: 0 every block came back as written, 1 a failure, 2 a\n"
		"wrong command line.\n");
}

struct slot {
	struct sdrv_blkfront_req req;
	void *buf;
	uint64_t block;
};

static void fill(void *buf, uint32_t len, uint64_t block)
{
	uint64_t *w = buf;

	for (uint32_t i = 0; i < len / 8; i++)
		w[i] = block * 0x9e3779b97f4a7c15ull + i;
}

/* Run @count requests of @op over blocks spread by a stride, @depth at a
 * time.  Return: failures. */
static unsigned run(struct sdrv_blkfront *bf, struct slot *slots,
		    unsigned depth, uint8_t op, uint64_t count, uint32_t bs,
		    uint64_t nr_blocks, uint64_t *mismatches)
{
	uint64_t next = 0, done = 0;
	unsigned failures = 0, idle = 0;
	struct sdrv_blkfront_req *fin[64];

	for (unsigned i = 0; i < depth; i++)
		slots[i].req.cookie = &slots[i];
	for (unsigned i = 0; i < depth && next < count; i++, next++) {
		struct slot *s = &slots[i];

		s->block = next * 7919 % nr_blocks;
		s->req.operation = op;
		s->req.sector = s->block * (bs / 512);
		s->req.len = bs;
		s->req.buf = s->buf;
		if (op == SDRV_BLKIF_OP_WRITE)
			fill(s->buf, bs, s->block);
		if (sdrv_blkfront_submit(bf, &s->req))
			failures++;
	}
	sdrv_blkfront_kick(bf);
	while (done < count && sdrv_blkfront_in_flight(bf)) {
		unsigned n = sdrv_blkfront_complete(bf, fin, 64);

		if (!n) {
			if (sdrv_blkfront_wait(bf, 1000) == 0 && ++idle > 10)
				break;
			continue;
		}
		idle = 0;
		for (unsigned k = 0; k < n; k++) {
			struct slot *s = fin[k]->cookie;

			done++;
			if (s->req.status)
				failures++;
			else if (op == SDRV_BLKIF_OP_READ && mismatches) {
				static _Alignas(8) unsigned char want[131072];

				fill(want, bs, s->block);
				if (memcmp(want, s->buf, bs))
					(*mismatches)++;
			}
			if (next < count) {
				s->block = next++ * 7919 % nr_blocks;
				s->req.sector = s->block * (bs / 512);
				if (op == SDRV_BLKIF_OP_WRITE)
					fill(s->buf, bs, s->block);
				int e = sdrv_blkfront_submit(bf, &s->req);

				if (e) {
					fprintf(stderr, "blk-guest: block %llu: %s\n", (unsigned long long)s->block, strerror(-e));
					failures++;
				}
			}
		}
		sdrv_blkfront_kick(bf);
	}
	return failures + (unsigned)(count - done);
}

int main(int argc, char **argv)
{
	enum { OPT_VDEV = 256, OPT_COUNT, OPT_BS, OPT_DEPTH, OPT_RO, OPT_NOF };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "vdev", required_argument, NULL, OPT_VDEV },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "bs", required_argument, NULL, OPT_BS },
		{ "depth", required_argument, NULL, OPT_DEPTH },
		{ "read-only", no_argument, NULL, OPT_RO },
		{ "no-features", no_argument, NULL, OPT_NOF },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct sdrv_blkfront_config cfg = { 0 };
	const struct sdrv_blkfront_info *info;
	const char *hvstub = NULL;
	uint32_t vdev = 51712, bs = 4096;
	uint64_t count = 256, mism = 0, nr_blocks;
	unsigned depth = 32, failures = 0;
	bool read_only = false;
	struct sdrv_blkfront *bf;
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	struct slot *slots;
	unsigned long id;
	int o, err;

	cli_init(argv[0]);
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":s:h", longopts, NULL)) != -1) {
		switch (o) {
		case 's':
			hvstub = optarg;
			break;
		case OPT_VDEV:
			vdev = (uint32_t)cli_number("--vdev", optarg, 1, UINT32_MAX >> 1);
			break;
		case OPT_COUNT:
			count = cli_number("--count", optarg, 1, 1u << 30);
			break;
		case OPT_BS:
			bs = (uint32_t)cli_size("--bs", optarg, 512, 131072, 512);
			break;
		case OPT_DEPTH:
			depth = (unsigned)cli_number("--depth", optarg, 1, 256);
			break;
		case OPT_RO:
			read_only = true;
			break;
		case OPT_NOF:
			cfg.no_features = true;
			break;
		default:
			cli_getopt_other(o, argv, usage);
		}
	}
	id = cli_domain_operand(argc, argv, optind);
	p = cli_attach_domain(hvstub, id);
	xs = cli_open_xs_ring(p, id);
	err = sdrv_blkfront_open(p, xs, vdev, &cfg, &bf);
	if (err) {
		sdrv_xs_close(xs);
		sdrv_platform_detach(p);
		cli_fail("domain %lu: vbd %u: %s%s", id, vdev, strerror(-err),
			 err == -ENOENT ? " (hvctl block-attach it first)"
			 : err == -ETIMEDOUT ? " (is blkback running?)" : "");
	}
	info = sdrv_blkfront_info(bf);
	printf("domain %lu: vbd %u: %llu sectors of %u bytes%s; ring %u page%s, "
	       "%u queue%s, %u segments a request%s%s%s\n",
	       id, vdev, (unsigned long long)info->sectors, info->sector_size,
	       info->readonly ? ", read-only" : "", 1u << info->ring_order,
	       info->ring_order ? "s" : "", info->nr_queues,
	       info->nr_queues > 1 ? "s" : "", info->max_segments,
	       info->max_segments > 11 ? " (indirect)" : "",
	       info->flush ? ", flush" : "", info->discard ? ", discard" : "");
	if (bs > info->max_request_bytes)
		cli_fail("--bs %u: more than the %u bytes a request can carry here",
			 bs, info->max_request_bytes);
	nr_blocks = info->sectors / (bs / 512);
	if (!nr_blocks)
		cli_fail("vbd %u: smaller than one block of %u bytes", vdev, bs);
	if (depth > info->ring_slots * info->nr_queues)
		depth = info->ring_slots * info->nr_queues;
	slots = calloc(depth, sizeof(*slots));
	for (unsigned i = 0; slots && i < depth; i++) {
		slots[i].buf = sdrv_pages_alloc(p, (bs + 4095) / 4096);
		if (!slots[i].buf)
			cli_fail("domain %lu: out of memory for %u buffers of %u bytes "
				 "(give the domain more --mem)", id, depth, bs);
	}
	if (!read_only && !info->readonly) {
		failures += run(bf, slots, depth, SDRV_BLKIF_OP_WRITE, count, bs,
				nr_blocks, NULL);
		if (info->flush) {
			struct sdrv_blkfront_req fl = { .operation = SDRV_BLKIF_OP_FLUSH_DISKCACHE };
			struct sdrv_blkfront_req *fin;

			if (!sdrv_blkfront_submit(bf, &fl)) {
				sdrv_blkfront_kick(bf);
				while (!sdrv_blkfront_complete(bf, &fin, 1))
					if (sdrv_blkfront_wait(bf, 5000) <= 0)
						break;
				failures += fl.status != 0;
			}
		}
		printf("wrote %llu blocks of %u bytes, flushed\n",
		       (unsigned long long)count, bs);
	}
	failures += run(bf, slots, depth, SDRV_BLKIF_OP_READ, count, bs,
			nr_blocks, read_only || info->readonly ? NULL : &mism);
	printf("read %llu blocks back: %llu differ, %u requests failed%s%s\n",
	       (unsigned long long)count, (unsigned long long)mism, failures,
	       sdrv_blkfront_broken(bf) ? "; device broken: " : "",
	       sdrv_blkfront_broken(bf) ? sdrv_blkfront_broken(bf) : "");
	sdrv_blkfront_close(bf);
	sdrv_xs_close(xs);
	sdrv_platform_detach(p);
	free(slots);
	return failures || mism ? 1 : 0;
}

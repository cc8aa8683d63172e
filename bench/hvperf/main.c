/* SPDX-License-Identifier: MIT */
/*
 * bench/hvperf/main.c - grant tables and event channels against what they
 * replace, in both platform environments:
 *
 *   grant copy     GB/s of 4 KiB segments    vs memcpy of the same pages
 *   pieces         ns per 64-byte piece out  vs a vhost-user-style copy
 *                  of 32 grants per call        (region table, then memcpy)
 *   map+unmap      pairs/s, single and x64   vs mmap+munmap of a memfd page
 *   notify-to-wake round trip, blocking      vs a raw eventfd round trip
 *
 * in three environments (hvperf.h): in-process, the backend fast path and
 * hv-stub's checked messages.
 *
 * Each row alternates ours and the peer for --reps repetitions; the ratio is
 * the median of the per-repetition ratios (> 1: splitdrv better).  Writes a
 * table (stdout), hvperf.csv and hvperf.svg.
 *
 *   hvperf [--quick] [--out DIR] [--reps N]
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hvperf.h"
#include "cli.h"
#include "report.h"
#include "timing.h"

/* Rows of a full run: seven jobs in-process and for the backend, the three
 * copy jobs on the checked path (an unprivileged domain neither maps nor
 * differs in notifying). */
#define HVPERF_ROWS 17

struct config {
	struct bench_opts o;
	int reps;
	uint64_t copy_bytes, maps, round_trips, pieces;
};

/* What one row measures: ours, then the peer, one repetition each. */
struct job {
	enum { COPY, PIECES, MAP, NOTIFY, FLOOD } kind;
	unsigned batch;
};

static double run_ours(const struct config *c, struct hvperf_env *e,
		       struct copy_set *cs, const struct job *j)
{
	switch (j->kind) {
	case COPY:
		return grant_copy_gbps(e, cs, j->batch, c->copy_bytes);
	case PIECES:
		return grant_pieces_ns(e, cs, c->pieces);
	case MAP:
		return grant_map_rate(e, cs, j->batch, c->maps);
	case FLOOD:
		return evtchn_round_trip_us(e, c->round_trips, true);
	default:
		return evtchn_round_trip_us(e, c->round_trips, false);
	}
}

static double run_peer(const struct config *c, struct hvperf_env *e,
		       struct copy_set *cs, const struct job *j)
{
	switch (j->kind) {
	case FLOOD: /* the same pair, nobody flooding */
		return evtchn_round_trip_us(e, c->round_trips, false);
	case COPY:
		return memcpy_gbps(cs, c->copy_bytes);
	case PIECES:
		return vhost_pieces_ns(cs, c->pieces);
	case MAP:
		return mmap_rate(c->maps);
	default:
		return eventfd_round_trip_us(c->round_trips);
	}
}

static void measure(const struct config *c, struct hvperf_env *e,
		    struct copy_set *cs, const struct job *j)
{
	double ours[REPORT_MAX_REPS], theirs[REPORT_MAX_REPS];
	struct row named = { 0 }, *r = &named;

	switch (j->kind) {
	case COPY:
		snprintf(r->section, sizeof(r->section), "grant copy");
		snprintf(r->workload, sizeof(r->workload), "4KiB x%u %s",
			 j->batch, e->name);
		snprintf(r->metric, sizeof(r->metric), "GB/s");
		snprintf(r->peer, sizeof(r->peer), "memcpy");
		break;
	case PIECES:
		snprintf(r->section, sizeof(r->section), "grant copy");
		snprintf(r->workload, sizeof(r->workload), "64B x%u grants %s",
			 HVPERF_PIECES, e->name);
		snprintf(r->metric, sizeof(r->metric), "ns/piece");
		snprintf(r->peer, sizeof(r->peer), "vhost-user copy");
		r->lower_is_better = true;
		break;
	case MAP:
		snprintf(r->section, sizeof(r->section), "map+unmap");
		snprintf(r->workload, sizeof(r->workload), "x%u %s", j->batch,
			 e->name);
		snprintf(r->metric, sizeof(r->metric), "K pairs/s");
		snprintf(r->peer, sizeof(r->peer), "mmap+munmap");
		break;
	case FLOOD:
		snprintf(r->section, sizeof(r->section), "notify");
		snprintf(r->workload, sizeof(r->workload),
			 "round trip beside a 100K/s flood %s", e->name);
		snprintf(r->metric, sizeof(r->metric), "us");
		snprintf(r->peer, sizeof(r->peer), "no flood");
		r->lower_is_better = true;
		break;
	default:
		snprintf(r->section, sizeof(r->section), "notify");
		snprintf(r->workload, sizeof(r->workload),
			 "round trip, blocking %s", e->name);
		snprintf(r->metric, sizeof(r->metric), "us");
		snprintf(r->peer, sizeof(r->peer), "raw eventfd");
		r->lower_is_better = true;
	}
	if (!bench_wanted(&c->o, named.section, named.workload))
		return;
	r = report_new_row();
	*r = named;
	r->xcore_ns = crosscore_transfer_ns();
	for (int i = 0; i < c->reps; i++) {
		/* alternate who goes first, so neither always gets the warm
		 * caches or the cold host period */
		if (i % 2) {
			theirs[i] = run_peer(c, e, cs, j);
			ours[i] = run_ours(c, e, cs, j);
		} else {
			ours[i] = run_ours(c, e, cs, j);
			theirs[i] = run_peer(c, e, cs, j);
		}
		if (j->kind == MAP) {
			ours[i] /= 1e3;
			theirs[i] /= 1e3;
		}
		if (ours[i] <= 0 || theirs[i] <= 0)
			cli_fail("%s %s: a measurement failed", r->section,
				 r->workload);
	}
	settle_row(r, ours, theirs, c->reps);
	report_print(r);
}

static void run_env(const struct config *c, struct hvperf_env *e)
{
	static const struct job jobs[] = {
		{ COPY, 64 }, { COPY, 1 }, { PIECES, HVPERF_PIECES },
		{ MAP, 1 },   { MAP, 64 }, { NOTIFY, 1 }, { FLOOD, 1 },
	};
	static struct copy_set cs;

	if (copy_set_init(e, &cs)) {
		cli_fail("%s: could not set up %u granted pages", e->name,
			 HVPERF_PAGES);
	}
	for (unsigned i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
		if (e->can_map || jobs[i].kind == COPY || jobs[i].kind == PIECES)
			measure(c, e, &cs, &jobs[i]);
}

int main(int argc, char **argv)
{
	struct config c = { .copy_bytes = 256ull << 20, .maps = 200000,
			    .round_trips = 20000, .pieces = 4000000 };
	struct hvperf_env e;

	bench_parse(argc, argv,
		    "Grant tables and event channels of libsplitdrv, in the "
		    "in-process environment\nand under hv-stub with process "
		    "domains (a backend copying in its own process,\nand an "
		    "unprivileged domain through hv-stub's checked messages): "
		    "grant copy\nagainst memcpy, 64-byte pieces of 32 grants "
		    "against a vhost-user-style copy,\ngrant map+unmap against "
		    "mmap+munmap, a notify round trip against a raw eventfd.",
		    &c.o);
	if (c.o.quick) {
		c.copy_bytes = 32ull << 20;
		c.maps = 20000;
		c.round_trips = 2000;
		c.pieces = 400000;
	}
	c.reps = c.o.reps ? c.o.reps : c.o.quick ? 3 : 7;
	report_open("hvperf",
		    "hvperf: grant tables and event channels vs memcpy, mmap, eventfd",
		    &c.o, c.o.filter ? 0 : HVPERF_ROWS,
		    (c.o.quick ? 8 : 150) * c.reps / (c.o.quick ? 3 : 7));
	if (env_open_inproc(&e))
		return 1;
	run_env(&c, &e);
	env_close(&e);
	for (int checked = 0; checked < 2; checked++) {
		if (env_open_hvstub(&e, checked))
			return 1;
		run_env(&c, &e);
		env_close(&e);
	}
	return report_close();
}

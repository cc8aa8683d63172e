/* SPDX-License-Identifier: MIT */
/*
 * bench/hvperf/main.c - grant tables and event channels against what they
 * replace, in both platform environments:
 *
 *   grant copy     GB/s of 4 KiB segments    vs memcpy of the same pages
 *   map+unmap      pairs/s, single and x64   vs mmap+munmap of a memfd page
 *   notify-to-wake round trip, blocking      vs a raw eventfd round trip
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
#include "report.h"
#include "timing.h"

#define MAX_ROWS 16

struct config {
	int reps;
	uint64_t copy_bytes, maps, round_trips;
	const char *out;
};

static struct row rows[MAX_ROWS];
static int nr_rows;

/* What one row measures: ours, then the peer, one repetition each. */
struct job {
	enum { COPY, MAP, NOTIFY } kind;
	unsigned batch;
};

static double run_ours(const struct config *c, struct hvperf_env *e,
		       struct copy_set *cs, const struct job *j)
{
	switch (j->kind) {
	case COPY:
		return grant_copy_gbps(e, cs, j->batch, c->copy_bytes);
	case MAP:
		return grant_map_rate(e, cs, j->batch, c->maps);
	default:
		return evtchn_round_trip_us(e, c->round_trips);
	}
}

static double run_peer(const struct config *c, struct copy_set *cs,
		       const struct job *j)
{
	switch (j->kind) {
	case COPY:
		return memcpy_gbps(cs, c->copy_bytes);
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
	struct row *r = &rows[nr_rows++];

	memset(r, 0, sizeof(*r));
	switch (j->kind) {
	case COPY:
		snprintf(r->section, sizeof(r->section), "grant copy");
		snprintf(r->workload, sizeof(r->workload), "4KiB x%u %s",
			 j->batch, e->name);
		snprintf(r->metric, sizeof(r->metric), "GB/s");
		snprintf(r->peer, sizeof(r->peer), "memcpy");
		break;
	case MAP:
		snprintf(r->section, sizeof(r->section), "map+unmap");
		snprintf(r->workload, sizeof(r->workload), "x%u %s", j->batch,
			 e->name);
		snprintf(r->metric, sizeof(r->metric), "K pairs/s");
		snprintf(r->peer, sizeof(r->peer), "mmap+munmap");
		break;
	default:
		snprintf(r->section, sizeof(r->section), "notify");
		snprintf(r->workload, sizeof(r->workload),
			 "round trip, blocking %s", e->name);
		snprintf(r->metric, sizeof(r->metric), "us");
		snprintf(r->peer, sizeof(r->peer), "raw eventfd");
		r->lower_is_better = true;
	}
	r->xcore_ns = crosscore_transfer_ns();
	for (int i = 0; i < c->reps; i++) {
		/* alternate who goes first, so neither always gets the warm
		 * caches or the cold host period */
		if (i % 2) {
			theirs[i] = run_peer(c, cs, j);
			ours[i] = run_ours(c, e, cs, j);
		} else {
			ours[i] = run_ours(c, e, cs, j);
			theirs[i] = run_peer(c, cs, j);
		}
		if (j->kind == MAP) {
			ours[i] /= 1e3;
			theirs[i] /= 1e3;
		}
		if (ours[i] <= 0 || theirs[i] <= 0) {
			fprintf(stderr, "hvperf: %s %s: a measurement failed\n",
				r->section, r->workload);
			exit(1);
		}
	}
	settle_row(r, ours, theirs, c->reps);
	report_print(r);
}

static void run_env(const struct config *c, struct hvperf_env *e)
{
	static const struct job jobs[] = {
		{ COPY, 64 }, { COPY, 1 }, { MAP, 1 }, { MAP, 64 }, { NOTIFY, 1 },
	};
	static struct copy_set cs;

	if (copy_set_init(e, &cs)) {
		fprintf(stderr, "hvperf: %s: could not set up %u granted pages\n",
			e->name, HVPERF_PAGES);
		exit(1);
	}
	for (unsigned i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
		measure(c, e, &cs, &jobs[i]);
}

static void usage(void)
{
	fprintf(stderr, "usage: hvperf [--quick] [--out DIR] [--reps N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "out", required_argument, NULL, 'o' },
		{ "reps", required_argument, NULL, 'r' },
		{ 0 },
	};
	struct config c = { .reps = 7, .copy_bytes = 256ull << 20,
			    .maps = 200000, .round_trips = 20000,
			    .out = "bench/results" };
	struct hvperf_env e;
	char csv[512], svg[512];
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'q') {
			c.reps = 3;
			c.copy_bytes = 32ull << 20;
			c.maps = 20000;
			c.round_trips = 2000;
		} else if (o == 'o') {
			c.out = optarg;
		} else if (o == 'r') {
			c.reps = atoi(optarg);
			if (c.reps < 1 || c.reps > REPORT_MAX_REPS) {
				fprintf(stderr, "hvperf: --reps %s: 1 to %d\n",
					optarg, REPORT_MAX_REPS);
				return 2;
			}
		} else {
			usage();
		}
	}
	printf("hvperf: %d repetitions per row, ours and the peer alternating\n\n",
	       c.reps);
	report_header();
	if (env_open_inproc(&e))
		return 1;
	run_env(&c, &e);
	env_close(&e);
	if (env_open_hvstub(&e))
		return 1;
	run_env(&c, &e);
	env_close(&e);

	mkdir(c.out, 0755);
	snprintf(csv, sizeof(csv), "%s/hvperf.csv", c.out);
	snprintf(svg, sizeof(svg), "%s/hvperf.svg", c.out);
	if (report_write_csv(csv, rows, nr_rows)) {
		fprintf(stderr, "hvperf: %s: cannot write\n", csv);
		return 1;
	}
	if (report_plot(csv, svg, "hvperf: grant tables and event channels vs memcpy, mmap, eventfd") == 0)
		printf("\nwrote %s and %s\n", csv, svg);
	else
		printf("\nwrote %s\n", csv);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * ringperf - libring measured against the best peers, in one run:
 *   round trips and latency against Xen's own ring.h macros (same slot
 *   types, ring pages, notification mode; threads and processes),
 *   its SPSC ring against DPDK's rte_ring (SP/SC) at bursts 1, 8, 32,
 *   and the notification modes (busy-poll, eventfd, spin-then-sleep).
 * Every row interleaves libring and its peer and reports the ratio and the
 * cross-core cache-line transfer time measured just before it.  Writes a
 * table (stdout), ringperf.csv and ringperf.svg.
 *
 *   ringperf [--quick] [--out DIR] [--reps N] [--filter TEXT]  (--help)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "report.h"
#include "rt.h"
#include "spsc.h"
#include "timing.h"

/* Rows of a full run (bench/results/ringperf.csv has them all). */
#define RINGPERF_ROWS 28
#define MAX_REPS REPORT_MAX_REPS

struct config {
	struct bench_opts o;
	int reps;
	uint64_t stream_count, slow_count, latency_count, spsc_count;
	uint32_t idle_gap_ms;
};



static struct row *new_row(const char *section, const char *metric,
			   const char *peer, bool lower_is_better,
			   const char *workload_fmt, ...)
	__attribute__((format(printf, 5, 6)));
static const struct config *cfg;

static struct row *new_row(const char *section, const char *metric,
			   const char *peer, bool lower_is_better,
			   const char *workload_fmt, ...)
{
	struct row *r = report_new_row();
	va_list ap;

	snprintf(r->section, sizeof(r->section), "%s", section);
	snprintf(r->metric, sizeof(r->metric), "%s", metric);
	snprintf(r->peer, sizeof(r->peer), "%s", peer);
	va_start(ap, workload_fmt);
	vsnprintf(r->workload, sizeof(r->workload), workload_fmt, ap);
	va_end(ap);
	r->lower_is_better = lower_is_better;
	return r;
}

/* Whether a row is selected by --filter (matched on "section workload"). */
static bool wanted(const char *section, const char *workload)
{
	return bench_wanted(&cfg->o, section, workload);
}

/* ------------------------------------------------------------------ */
/* Every row: libring and its peer, interleaved                         */

/*
 * One run of one side, libring (@peer false) or its peer: writes the row
 * values it measures into @v (one per row), or dies with a one-line error.
 */
typedef void (*measure_fn)(const void *ctx, bool peer, double *v);

/*
 * Measure @nr (1 or 2) rows that come from the same runs: the cross-core transfer
 * time first, then c->reps repetitions of libring and its peer, alternating
 * which goes first; settle and print each row.
 */
static void interleave(const struct config *c, measure_fn run,
		       const void *ctx, struct row **settle, int nr)
{
	double v[2][2][MAX_REPS]; /* [row][peer][repetition] */
	double xcore = crosscore_transfer_ns();

	for (int i = 0; i < c->reps; i++) {
		for (int k = 0; k < 2; k++) {
			bool peer = (k == 0) == (i % 2 == 0); /* alternate */
			double out[2];

			run(ctx, peer, out);
			for (int m = 0; m < nr; m++)
				v[m][peer][i] = out[m];
		}
	}
	for (int m = 0; m < nr; m++) {
		settle[m]->xcore_ns = xcore;
		settle_row(settle[m], v[m][0], v[m][1], c->reps);
		report_print(settle[m]);
	}
}

/* ------------------------------------------------------------------ */
/* Round trips: libring against Xen's macros                            */

struct rt_ctx {
	const struct rt_workload *w;
	bool span; /* ours through the span API */
	const char *row; /* for errors */
	enum pair_mode pm;
	uint32_t pages;
	enum notify_mode nm;
	uint64_t count;
};

static void measure_stream(const void *ctx, bool peer, double *v)
{
	const struct rt_ctx *x = ctx;
	const struct rt_impl *impl = peer ? &x->w->xen
				     : x->span ? &x->w->span : &x->w->lib;
	struct rt_result res;
	int err = rt_stream(impl, x->pm, x->pages, x->nm, x->count, &res);

	if (err)
		cli_fail("round trips %s, %s: run failed (status %d)", x->row,
		    impl->name, err);
	v[0] = res.per_sec / 1e6;
}

static void stream_row(const struct config *c, const struct rt_workload *w,
		       enum pair_mode pm, uint32_t pages, enum notify_mode nm,
		       uint64_t count, bool span)
{
	char name[48];
	struct row *r;

	snprintf(name, sizeof(name), "%s %upg %s %s%s", w->name, pages,
		 pm == PAIR_THREADS ? "thr" : "proc", notify_mode_name(nm),
		 span ? " spans" : "");
	if (!wanted("round-trip", name))
		return;
	r = new_row("round-trip", "Mrt/s", "Xen ring.h", false, "%s", name);
	interleave(c, measure_stream,
		   &(struct rt_ctx){ .w = w, .row = r->workload, .span = span,
				     .pm = pm, .pages = pages, .nm = nm,
				     .count = count },
		   &r, 1);
}

static void measure_latency(const void *ctx, bool peer, double *v)
{
	const struct rt_ctx *x = ctx;
	const struct rt_impl *impl = peer ? &x->w->xen : &x->w->lib;
	struct rt_result res;
	int err = rt_latency(impl, x->pm, NOTIFY_BUSY, x->count, &res);

	if (err)
		cli_fail("latency %s, %s: run failed (status %d)", x->row,
		    impl->name, err);
	v[0] = res.median_ns;
	v[1] = res.p99_ns;
}

static void latency_rows(const struct config *c, enum pair_mode pm)
{
	const char *where = pm == PAIR_THREADS ? "thr" : "proc";

	if (!wanted("latency", where))
		return;
	struct row *both[2] = {
		new_row("latency", "median ns", "Xen ring.h", true,
			"64B 1 in flight %s busy-poll", where),
		new_row("latency", "p99 ns", "Xen ring.h", true,
			"64B 1 in flight %s busy-poll", where),
	};

	interleave(c, measure_latency,
		   &(struct rt_ctx){ .w = &rt_workloads[0],
				     .row = both[0]->workload, .pm = pm,
				     .count = c->latency_count },
		   both, 2);
}

/* ------------------------------------------------------------------ */
/* Notification modes (libring): spin-then-sleep against busy-poll      */

static void spin_sleep_rows(const struct config *c)
{
	const struct rt_impl *lib = &rt_workloads[0].lib;

	if (!wanted("notify", "spin-sleep"))
		return;
	struct row *load = new_row("notify", "Mrt/s", "busy-poll", false,
				   "64B 1pg thr spin-sleep loaded");
	double spin[MAX_REPS], busy[MAX_REPS];

	load->xcore_ns = crosscore_transfer_ns();
	for (int i = 0; i < c->reps; i++) {
		struct rt_result a, b;

		if (rt_stream(lib, PAIR_THREADS, 1, NOTIFY_SPIN_SLEEP,
			      c->stream_count, &a) ||
		    rt_stream(lib, PAIR_THREADS, 1, NOTIFY_BUSY,
			      c->stream_count, &b))
			cli_fail("spin-sleep against busy-poll: run failed");
		spin[i] = a.per_sec / 1e6;
		busy[i] = b.per_sec / 1e6;
	}
	settle_row(load, spin, busy, c->reps);
	report_print(load);

	/* Idle: the back's CPU use while the front sends nothing. */
	for (int mode = NOTIFY_SPIN_SLEEP; mode >= NOTIFY_EVENTFD; mode--) {
		struct row *idle = new_row("notify", "idle CPU %", "busy-poll",
					   true, "64B back idle %u ms %s",
					   c->idle_gap_ms,
					   notify_mode_name((enum notify_mode)mode));
		struct rt_result a, b;

		idle->xcore_ns = crosscore_transfer_ns();
		if (rt_idle_cpu(lib, (enum notify_mode)mode, c->idle_gap_ms, &a) ||
		    rt_idle_cpu(lib, NOTIFY_BUSY, c->idle_gap_ms, &b))
			cli_fail("idle CPU: run failed");
		/* Never report 0 %: a ratio needs a floor (one tick). */
		idle->ours = a.idle_cpu * 100 > 0.01 ? a.idle_cpu * 100 : 0.01;
		idle->theirs = b.idle_cpu * 100;
		report_print(idle);
	}
}

/* ------------------------------------------------------------------ */
/* SPSC ring against rte_ring                                           */

struct spsc_ctx {
	const struct config *c;
	const char *row; /* for errors */
	enum pair_mode pm;
	uint32_t burst;
};

static void measure_spsc(const void *ctx, bool rte, double *v)
{
	const struct spsc_ctx *x = ctx;
	int err;
	double per_sec = spsc_bench(rte, x->pm, x->burst, x->c->spsc_count, &err);

	if (err)
		cli_fail("spsc %s, %s: run failed (status %d)", x->row,
		    rte ? "rte_ring" : "libring", err);
	v[0] = per_sec / 1e6;
}

static void spsc_row(const struct config *c, enum pair_mode pm, uint32_t burst)
{
	char name[48];
	struct row *r;

	snprintf(name, sizeof(name), "8B burst %u %s", burst,
		 pm == PAIR_THREADS ? "thr" : "proc");
	if (!wanted("spsc", name))
		return;
	r = new_row("spsc", "Melem/s", "rte_ring", false, "%s", name);
	interleave(c, measure_spsc,
		   &(struct spsc_ctx){ .c = c, .row = r->workload, .pm = pm,
				       .burst = burst },
		   &r, 1);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct config c = { 0 };

	bench_parse(argc, argv,
		    "libring measured against Xen's own ring.h macros (round "
		    "trips, latency;\nthreads and processes; busy-poll, eventfd "
		    "and spin-then-sleep notification)\nand its SPSC ring "
		    "against DPDK's rte_ring (SP/SC, bursts 1, 8, 32).",
		    &c.o);
	c.reps = c.o.reps ? c.o.reps : c.o.quick ? 3 : 5;
	cfg = &c;
	c.stream_count = c.o.quick ? 2000000 : 20000000;
	c.slow_count = c.o.quick ? 200000 : 2000000;
	c.latency_count = c.o.quick ? 20000 : 200000;
	c.spsc_count = c.o.quick ? 5000000 : 50000000;
	c.idle_gap_ms = c.o.quick ? 100 : 500;
	report_open("ringperf", "ringperf: libring against its peers, same run",
		    &c.o, c.o.filter ? 0 : RINGPERF_ROWS,
		    (c.o.quick ? 13 : 140) * c.reps / (c.o.quick ? 3 : 5));
	printf("%d repetitions per row; peers interleaved; ratio = median of "
	       "per-repetition ratios, > 1: libring better; xcore = one "
	       "cache-line transfer between the CPUs, measured before the "
	       "row\n\n", c.reps);

	for (unsigned w = 0; w < rt_nr_workloads; w++)
		for (uint32_t pages = 1; pages <= 8; pages *= 8)
			stream_row(&c, &rt_workloads[w], PAIR_THREADS, pages,
				   NOTIFY_BUSY, c.stream_count, false);
	for (unsigned w = 0; w < rt_nr_workloads; w++)
		for (uint32_t pages = 1; pages <= 8; pages *= 8)
			stream_row(&c, &rt_workloads[w], PAIR_THREADS, pages,
				   NOTIFY_BUSY, c.stream_count, true);
	stream_row(&c, &rt_workloads[0], PAIR_PROCESSES, 1, NOTIFY_BUSY,
		   c.stream_count, false);
	stream_row(&c, &rt_workloads[0], PAIR_PROCESSES, 8, NOTIFY_BUSY,
		   c.stream_count, false);
	stream_row(&c, &rt_workloads[0], PAIR_THREADS, 1, NOTIFY_EVENTFD,
		   c.slow_count, false);
	stream_row(&c, &rt_workloads[0], PAIR_THREADS, 1, NOTIFY_SPIN_SLEEP,
		   c.stream_count, false);
	latency_rows(&c, PAIR_THREADS);
	latency_rows(&c, PAIR_PROCESSES);
	spin_sleep_rows(&c);
	static const uint32_t bursts[] = { 1, 8, 32 };
	for (unsigned i = 0; i < sizeof(bursts) / sizeof(bursts[0]); i++)
		spsc_row(&c, PAIR_THREADS, bursts[i]);
	spsc_row(&c, PAIR_PROCESSES, 1);
	spsc_row(&c, PAIR_PROCESSES, 32);

	return report_close();
}

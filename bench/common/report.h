/* SPDX-License-Identifier: MIT */
/*
 * bench/common/report.h - benchmark rows: the table on stdout, a CSV file,
 * and a gnuplot SVG of the ratios.
 */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdbool.h>

struct row {
	char section[24]; /* "round-trip", "latency", "spsc", "notify" */
	char workload[48]; /* "64B 1pg threads", ... */
	char metric[24]; /* "Mrt/s", "median ns", ... */
	char peer[24]; /* "Xen ring.h", "rte_ring", "busy-poll" */
	double ours, theirs;
	double ratio; /* > 0: median of per-repetition ratios (main.c) */
	bool lower_is_better; /* latency, CPU */
	double xcore_ns; /* cross-core transfer measured just before */
};

/* r->ratio if set, else ours/theirs inverted for lower-is-better metrics:
 * > 1 means we win. */
double row_ratio(const struct row *r);

/* Repetitions a row may have. */
#define REPORT_MAX_REPS 15

/* The median of @v[0..n) (sorts @v). */
double median(double *v, int n);

/*
 * Fill a row from @n interleaved repetitions: the median of each side, and
 * the ratio as the median of the per-repetition ratios.  Each pair ran back
 * to back, so a pair sees one period of the host; the medians of the two
 * sides alone can come from different periods when the host moves the
 * vCPUs mid-row (a 2.6x "win" was once printed that way).
 */
void settle_row(struct row *r, double *ours, double *theirs, int n);

void report_header(void);
void report_print(const struct row *r);
int report_write_csv(const char *path, const struct row *rows, int n);
/* Writes @svg through gnuplot if installed; returns 0, or -1 (and says why
 * on stderr) if it could not. */
int report_plot(const char *csv, const char *svg, const char *title);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * bench/ringperf/report.h - benchmark rows: the table on stdout, a CSV file,
 * and a gnuplot SVG of the ratios.
 */
#ifndef RINGPERF_REPORT_H
#define RINGPERF_REPORT_H

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

void report_header(void);
void report_print(const struct row *r);
int report_write_csv(const char *path, const struct row *rows, int n);
/* Writes @svg through gnuplot if installed; returns 0, or -1 (and says why
 * on stderr) if it could not. */
int report_plot(const char *csv, const char *svg, const char *title);

#endif

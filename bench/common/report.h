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
/* The @pct-th percentile (0..100) of @v[0..n), n > 0 (sorts @v). */
double percentile(double *v, int n, int pct);

/*
 * Fill a row from @n interleaved repetitions: the median of each side, and
 * the ratio as the median of the per-repetition ratios.  Each pair ran back
 * to back, so a pair sees one period of the host; the medians of the two
 * sides alone can come from different periods when the host moves the
 * vCPUs mid-row (a 2.6x "win" was once printed that way).
 */
void settle_row(struct row *r, double *ours, double *theirs, int n);

/*
 * One benchmark run: its options, its rows and its files.  Every benchmark
 * takes the same options (bench_parse()) and writes OUT/NAME.csv and
 * OUT/NAME.svg, OUT being "bench-results" in the current folder unless
 * --out says otherwise (the published figures in bench/results are written
 * only when asked for by name).  Rows print as they finish, with their
 * place ("row 7/22"), and the CSV is rewritten after each, so an
 * interrupted run keeps what it measured.  One run per process.
 */
struct bench_opts {
	bool quick; /* short runs, for the demo */
	const char *out; /* folder for NAME.csv and NAME.svg */
	int reps; /* 0: the benchmark's default */
	const char *filter; /* only rows whose "section workload" has it */
};

/*
 * bench_parse() - the options every benchmark takes (--quick, --out DIR,
 * --reps N, --filter TEXT, --help, --version); a wrong word is a one-line
 * usage error (exit 2).  @about is the help's description: what is
 * measured, against which peer.
 */
void bench_parse(int argc, char **argv, const char *about,
		 struct bench_opts *o);

/* Whether --filter selects the row "@section @workload". */
bool bench_wanted(const struct bench_opts *o, const char *section,
		  const char *workload);

/*
 * report_open() - start the run's report: create @o->out, say how many
 * rows (@expected_rows, 0 if a filter makes it unknown) and about how long
 * (@expected_seconds), print the table's header.  @title heads the plot.
 * Exits with a one-line error if the folder cannot be made.
 */
void report_open(const char *name, const char *title,
		 const struct bench_opts *o, int expected_rows,
		 int expected_seconds);

/* A zeroed row of the run's table (the run holds at most 64); exits with
 * an error past that. */
struct row *report_new_row(void);

/* A finished row: printed with its place, and the CSV rewritten. */
void report_print(const struct row *r);

/* The run is over: the plot, and where the files are.  Return: 0, or 1
 * if the CSV could not be written (said on stderr). */
int report_close(void);

/* Rows as CSV (RFC 4180: a field with a comma, quote or line break is
 * quoted), written to a temporary file and renamed into place. */
int report_write_csv(const char *path, const struct row *rows, int n);
/* Plots @rows' ratios into @svg through gnuplot if installed; returns 0,
 * or -1 (and says why on stderr) if it could not. */
int report_plot(const char *svg, const char *title, const struct row *rows,
		int n);

#endif

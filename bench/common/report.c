/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "timing.h"

double row_ratio(const struct row *r)
{
	if (r->ratio > 0)
		return r->ratio;
	if (r->ours <= 0 || r->theirs <= 0)
		return 0;
	return r->lower_is_better ? r->theirs / r->ours : r->ours / r->theirs;
}

/* The run: one per process (bench programs are single runs). */
#define REPORT_MAX_ROWS 64

static struct {
	const char *name, *title;
	char csv[4096], svg[4096];
	int expected_rows;
	uint64_t start_ns;
	struct row rows[REPORT_MAX_ROWS];
	int nr_rows, printed;
	bool csv_failed;
} run;

/* What the running benchmark measures, for its --help. */
static const char *bench_about;

static void bench_usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [OPTION]...\n%s\n\n"
		"  --quick         short runs (for the demo)\n"
		"  --out DIR       where %s.csv and %s.svg go (default: "
		"bench-results)\n"
		"  --reps N        repetitions per row, 1 to %d; the row reports "
		"medians\n"
		"  --filter TEXT   only rows whose \"section workload\" contains "
		"TEXT\n"
		"  -h, --help      show this help and exit\n"
		"      --version   show the version and exit\n"
		"\nEach row runs splitdrv and its peer in turn and reports the "
		"median of the\nper-repetition ratios (> 1: splitdrv better).  "
		"Only ratios within one run mean\nanything: timings swing as the "
		"host moves the vCPUs.\n",
		cli_program(), bench_about, cli_program(), cli_program(),
		REPORT_MAX_REPS);
}

void bench_parse(int argc, char **argv, const char *about,
		 struct bench_opts *o)
{
	enum { OPT_QUICK = 1000, OPT_OUT, OPT_REPS, OPT_FILTER };
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "reps", required_argument, NULL, OPT_REPS },
		{ "filter", required_argument, NULL, OPT_FILTER },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int opt;

	cli_init(argv[0]);
	bench_about = about;
	*o = (struct bench_opts){ .out = "bench-results" };
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_QUICK:
			o->quick = true;
			break;
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_REPS:
			o->reps = (int)cli_number("--reps", optarg, 1,
						  REPORT_MAX_REPS);
			break;
		case OPT_FILTER:
			o->filter = optarg;
			break;
		default:
			cli_getopt_other(opt, argv, bench_usage);
		}
	}
	cli_no_operands(argc, argv, optind);
}

bool bench_wanted(const struct bench_opts *o, const char *section,
		  const char *workload)
{
	char both[128];

	if (!o->filter)
		return true;
	snprintf(both, sizeof(both), "%s %s", section, workload);
	return strstr(both, o->filter) != NULL;
}

void report_open(const char *name, const char *title,
		 const struct bench_opts *o, int expected_rows,
		 int expected_seconds)
{
	if (mkdir(o->out, 0755) && errno != EEXIST)
		cli_fail("--out %s: %s", o->out, strerror(errno));
	run.name = name;
	run.title = title;
	run.expected_rows = expected_rows;
	run.start_ns = now_ns();
	snprintf(run.csv, sizeof(run.csv), "%s/%s.csv", o->out, name);
	snprintf(run.svg, sizeof(run.svg), "%s/%s.svg", o->out, name);
	if (expected_rows)
		printf("%s: %d rows, about %d s%s; rows go to %s as they "
		       "finish\n\n",
		       name, expected_rows, expected_seconds,
		       o->quick ? " (--quick)" : "", run.csv);
	else
		printf("%s: rows matching '%s'; rows go to %s as they "
		       "finish\n\n",
		       name, o->filter ? o->filter : "", run.csv);
	printf("%-9s %-11s %-30s %-10s %10s %12s %10s %8s %7s\n", "row",
	       "section", "workload", "metric", "splitdrv", "peer",
	       "peer val", "ratio", "xcore");
	printf("%-9s %-11s %-30s %-10s %10s %12s %10s %8s %7s\n", "---",
	       "-------", "--------", "------", "-------", "----",
	       "--------", "-----", "ns");
	fflush(stdout);
}

struct row *report_new_row(void)
{
	struct row *r;

	if (run.nr_rows == REPORT_MAX_ROWS)
		cli_fail("more than %d rows in one run", REPORT_MAX_ROWS);
	r = &run.rows[run.nr_rows++];
	memset(r, 0, sizeof(*r));
	return r;
}

void report_print(const struct row *r)
{
	char place[16];

	run.printed++;
	if (run.expected_rows)
		snprintf(place, sizeof(place), "%d/%d", run.printed,
			 run.expected_rows);
	else
		snprintf(place, sizeof(place), "%d", run.printed);
	printf("%-9s %-11s %-30s %-10s %10.2f %12s %10.2f %7.2fx %7.1f\n",
	       place, r->section, r->workload, r->metric, r->ours, r->peer,
	       r->theirs, row_ratio(r), r->xcore_ns);
	fflush(stdout);
	if (run.csv[0] && report_write_csv(run.csv, run.rows, run.nr_rows)) {
		if (!run.csv_failed)
			cli_error("%s: cannot write: %s", run.csv,
				  strerror(errno));
		run.csv_failed = true;
	}
}

int report_close(void)
{
	double secs = (double)(now_ns() - run.start_ns) / 1e9;

	if (run.csv_failed || report_write_csv(run.csv, run.rows, run.nr_rows)) {
		cli_error("%s: cannot write: %s", run.csv, strerror(errno));
		return 1;
	}
	printf("\n%d rows in %.0f s; wrote %s", run.nr_rows, secs, run.csv);
	if (report_plot(run.svg, run.title, run.rows, run.nr_rows) == 0)
		printf(" and %s", run.svg);
	printf("\n");
	return 0;
}

/* One CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *text)
{
	if (!strpbrk(text, ",\"\n\r")) {
		fputs(text, f);
		return;
	}
	fputc('"', f);
	for (const char *c = text; *c; c++) {
		if (*c == '"')
			fputc('"', f);
		fputc(*c, f);
	}
	fputc('"', f);
}

int report_write_csv(const char *path, const struct row *rows, int n)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "section,workload,metric,splitdrv,peer,peer_value,ratio,"
		   "lower_is_better,xcore_ns\n");
	for (int i = 0; i < n; i++) {
		csv_field(f, rows[i].section);
		fputc(',', f);
		csv_field(f, rows[i].workload);
		fputc(',', f);
		csv_field(f, rows[i].metric);
		fprintf(f, ",%.4f,", rows[i].ours);
		csv_field(f, rows[i].peer);
		fprintf(f, ",%.4f,%.4f,%d,%.2f\n", rows[i].theirs,
			row_ratio(&rows[i]), rows[i].lower_is_better,
			rows[i].xcore_ns);
	}
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The plot's data: one line per row, "ratio<TAB>label", the label built
 * here so that no CSV quoting reaches gnuplot (which splits quoted fields
 * at their commas).  Return: 0 or -1. */
static int write_plot_data(const char *path, const struct row *rows, int n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	for (int i = 0; i < n; i++) {
		char label[160];

		snprintf(label, sizeof(label), "%s: %s, %s vs %s",
			 rows[i].section, rows[i].workload, rows[i].metric,
			 rows[i].peer);
		for (char *c = label; *c; c++)
			if (*c == '\t' || *c == '\n' || *c == '"' || *c == '\'')
				*c = ' ';
		fprintf(f, "%g\t%s\n", row_ratio(&rows[i]), label);
	}
	return fclose(f);
}

int report_plot(const char *svg, const char *title, const struct row *rows,
		int n)
{
	double lo = 0.5, hi = 2;
	char data[] = "/tmp/bench-plot-XXXXXX";
	char *script = NULL;
	FILE *gp;
	int status, fd;

	if (n <= 0)
		return -1;
	if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
		cli_error("no plot: gnuplot is not installed (apt-get install "
			  "gnuplot-nox)");
		return -1;
	}
	/* Every ratio on the axis, however small or large: to the decades
	 * around the extremes. */
	for (int i = 0; i < n; i++) {
		double r = row_ratio(&rows[i]);

		if (r > 0 && r < lo)
			lo = r;
		if (r > hi)
			hi = r;
	}
	lo = pow(10, floor(log10(lo)));
	hi = pow(10, ceil(log10(hi)));
	fd = mkstemp(data);
	if (fd < 0)
		return -1;
	close(fd);
	if (write_plot_data(data, rows, n)) {
		unlink(data);
		return -1;
	}
	/* One bar per row, from 1 to the ratio on a log scale: right of the
	 * red line splitdrv wins, left of it the peer does.  Rows top to
	 * bottom in the table's order; the ratio printed at each bar. */
	if (asprintf(&script,
		     "set terminal svg size 1200,%d dynamic font 'sans,11' noenhanced background rgb 'white'\n"
		     "set output '%s'\n"
		     "set title \"%s\"\n"
		     "set datafile separator '\\t'\n"
		     "set style fill solid 0.8\n"
		     "set xlabel 'ratio against the peer measured in the same run "
		     "(log scale; > 1: splitdrv better)'\n"
		     "set logscale x\n"
		     "set xrange [%g:%g]\n"
		     "set ytics scale 0\n"
		     "set grid xtics\n"
		     "set key off\n"
		     "set lmargin 70\n"
		     "set yrange [%d - 0.4:-0.6]\n"
		     "set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb 'red'\n"
		     "plot '%s' using 1:0:($1 < 1 ? $1 : 1):($1 < 1 ? 1 : $1):"
		     "($0 - 0.4):($0 + 0.4):ytic(2) with boxxyerror "
		     "lc rgb '#4a7fb0', "
		     "'' using ($1 < 1 ? 1 : $1):0:(sprintf(' %%.2fx', $1)) with labels left "
		     "font 'sans,9'\n",
		     100 + 24 * n, svg, title, lo, hi, n, data) < 0) {
		unlink(data);
		return -1;
	}
	gp = popen("gnuplot", "w");
	if (!gp) {
		free(script);
		unlink(data);
		return -1;
	}
	fputs(script, gp);
	free(script);
	status = pclose(gp);
	unlink(data);
	if (status != 0) {
		cli_error("gnuplot failed (status %d)", status);
		return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double percentile(double *v, int n, int pct)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(size_t)n * (size_t)pct / 100 < (size_t)n
			 ? (size_t)n * (size_t)pct / 100
			 : (size_t)n - 1];
}

double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void settle_row(struct row *r, double *ours, double *theirs, int n)
{
	double ratios[REPORT_MAX_REPS];

	for (int i = 0; i < n; i++) {
		struct row one = *r;

		one.ours = ours[i];
		one.theirs = theirs[i];
		one.ratio = 0;
		ratios[i] = row_ratio(&one);
	}
	r->ratio = median(ratios, n);
	r->ours = median(ours, n);
	r->theirs = median(theirs, n);
}

/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "report.h"

#include <stdio.h>
#include <stdlib.h>

double row_ratio(const struct row *r)
{
	if (r->ratio > 0)
		return r->ratio;
	if (r->ours <= 0 || r->theirs <= 0)
		return 0;
	return r->lower_is_better ? r->theirs / r->ours : r->ours / r->theirs;
}

void report_header(void)
{
	printf("%-11s %-30s %-10s %10s %12s %10s %8s %7s\n", "section",
	       "workload", "metric", "splitdrv", "peer", "peer val", "ratio",
	       "xcore");
	printf("%-11s %-30s %-10s %10s %12s %10s %8s %7s\n", "-------",
	       "--------", "------", "-------", "----", "--------", "-----",
	       "ns");
}

void report_print(const struct row *r)
{
	printf("%-11s %-30s %-10s %10.2f %12s %10.2f %7.2fx %7.1f\n",
	       r->section, r->workload, r->metric, r->ours, r->peer, r->theirs,
	       row_ratio(r), r->xcore_ns);
	fflush(stdout);
}

int report_write_csv(const char *path, const struct row *rows, int n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "section,workload,metric,splitdrv,peer,peer_value,ratio,"
		   "lower_is_better,xcore_ns\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "%s,%s,%s,%.4f,%s,%.4f,%.4f,%d,%.2f\n",
			rows[i].section, rows[i].workload, rows[i].metric,
			rows[i].ours, rows[i].peer, rows[i].theirs,
			row_ratio(&rows[i]), rows[i].lower_is_better,
			rows[i].xcore_ns);
	return fclose(f);
}

int report_plot(const char *csv, const char *svg, const char *title)
{
	char *script = NULL;
	FILE *gp;
	int status;

	if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
		fprintf(stderr, "bench: no plot: gnuplot is not installed "
				"(apt-get install gnuplot-nox)\n");
		return -1;
	}
	gp = popen("gnuplot", "w");
	if (!gp)
		return -1;
	/* One bar per row, from 1 to the ratio on a log scale: right of the
	 * red line splitdrv wins, left of it the peer does. */
	if (asprintf(&script,
		     "set terminal svg size 1100,%d dynamic font 'sans,10' noenhanced background rgb 'white'\n"
		     "set output '%s'\n"
		     "set title \"%s\"\n"
		     "set datafile separator ','\n"
		     "set style fill solid 0.8\n"
		     "set xlabel 'ratio against the peer measured in the same run "
		     "(log scale; > 1: splitdrv better)'\n"
		     "set logscale x\n"
		     "set xrange [0.1:1000]\n"
		     "set grid xtics\n"
		     "set key off\n"
		     "set yrange [-1:*] reverse\n"
		     "set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb 'red'\n"
		     "plot '%s' every ::1 using 7:0:($7 < 1 ? $7 : 1):"
		     "($7 < 1 ? 1 : $7):($0 - 0.4):($0 + 0.4):"
		     "ytic(sprintf('%%s %%s %%s vs %%s', stringcolumn(1), "
		     "stringcolumn(2), stringcolumn(3), stringcolumn(5))) "
		     "with boxxyerror\n",
		     120 + 22 * 26, svg, title, csv) < 0) {
		pclose(gp);
		return -1;
	}
	fputs(script, gp);
	free(script);
	status = pclose(gp);
	if (status != 0) {
		fprintf(stderr, "bench: gnuplot failed (status %d)\n", status);
		return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
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

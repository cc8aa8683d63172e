/* SPDX-License-Identifier: MIT */
/*
 * bench/xsperf - sdrv-xenstored against Xen's own C xenstored (Debian's
 * xen-utils-4.17, run on a private socket by ../shared/tools/xenstored-ref),
 * both driven by Xen's own client library, libxenstore, so that only the
 * daemon differs:
 *
 *   write+read    pairs/s, 1 client and 4 clients (threads, own handles)
 *   transaction   start, read, write, commit per second, 1 and 4 clients
 *   watch event   latency from a write to the watcher's xs_read_watch(),
 *                 1 watcher and 8 watchers (until the last has it)
 *
 * Each row alternates ours and the peer for --reps repetitions; the ratio is
 * the median of the per-repetition ratios (> 1: splitdrv better).  Writes a
 * table, xsperf.csv and xsperf.svg.
 *
 *   xsperf [--quick] [--out DIR] [--reps N] [--xsref DIR-OF-xsref.sh]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#include "report.h"
#include "timing.h"

#define MAX_ROWS 8
#define MAX_CLIENTS 8

struct daemon {
	const char *name;
	char socket[256];
	pid_t pid; /* ours */
	char ref_dir[128]; /* theirs */
};

struct config {
	int reps;
	int ops; /* per client per repetition */
	int events;
	const char *out, *xsref;
};

static struct row rows[MAX_ROWS];
static int nr_rows;

static struct xs_handle *open_at(const struct daemon *d)
{
	struct xs_handle *h;

	setenv("XENSTORED_PATH", d->socket, 1);
	h = xs_open(0);
	if (!h) {
		fprintf(stderr, "xsperf: %s: cannot connect to %s: %s\n",
			d->name, d->socket, strerror(errno));
		exit(1);
	}
	return h;
}

/* ---- the workloads ---- */

struct worker {
	const struct daemon *d;
	int id, ops;
	bool tx;
	pthread_barrier_t *start;
	int failed;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct xs_handle *h = open_at(w->d);
	char path[64], val[32];
	unsigned len;

	snprintf(path, sizeof(path), "/bench/c%d/key", w->id);
	xs_write(h, XBT_NULL, path, "0", 1);
	pthread_barrier_wait(w->start);
	for (int i = 0; i < w->ops; i++) {
		xs_transaction_t t = XBT_NULL;
		char *r;
		int n = snprintf(val, sizeof(val), "%d", i);

		if (w->tx) {
			t = xs_transaction_start(h);
			if (t == XBT_NULL) {
				w->failed++;
				continue;
			}
		}
		r = xs_read(h, t, path, &len);
		free(r);
		if (!xs_write(h, t, path, val, (unsigned)n))
			w->failed++;
		if (w->tx && !xs_transaction_end(h, t, false))
			w->failed++; /* no conflicts: each client its own key */
		if (!w->tx && !r)
			w->failed++;
	}
	pthread_barrier_wait(w->start);
	xs_close(h);
	return NULL;
}

/* Operations per second over @clients threads. */
static double ops_per_s(const struct daemon *d, int clients, int ops, bool tx)
{
	pthread_t th[MAX_CLIENTS];
	struct worker w[MAX_CLIENTS];
	pthread_barrier_t start;
	uint64_t t0, t1;
	int failed = 0;

	pthread_barrier_init(&start, NULL, (unsigned)clients + 1);
	for (int i = 0; i < clients; i++) {
		w[i] = (struct worker){ d, i, ops, tx, &start, 0 };
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	pthread_barrier_wait(&start);
	t0 = now_ns();
	pthread_barrier_wait(&start);
	t1 = now_ns();
	for (int i = 0; i < clients; i++) {
		pthread_join(th[i], NULL);
		failed += w[i].failed;
	}
	pthread_barrier_destroy(&start);
	if (failed) {
		fprintf(stderr, "xsperf: %s: %d operations failed\n", d->name,
			failed);
		exit(1);
	}
	return (double)clients * ops / ((double)(t1 - t0) / 1e9);
}

/* Median microseconds from a write to the last of @watchers seeing it. */
static double watch_latency_us(const struct daemon *d, int watchers,
			       int events)
{
	struct xs_handle *w[MAX_CLIENTS], *writer = open_at(d);
	double lat[256];
	unsigned n;

	if (events > 256)
		events = 256;
	xs_write(writer, XBT_NULL, "/bench/watched", "0", 1);
	for (int i = 0; i < watchers; i++) {
		char **ev;

		w[i] = open_at(d);
		xs_watch(w[i], "/bench/watched", "tok");
		ev = xs_read_watch(w[i], &n); /* the registration event */
		free(ev);
	}
	for (int e = 0; e < events; e++) {
		uint64_t t0 = now_ns();

		xs_write(writer, XBT_NULL, "/bench/watched", "1", 1);
		for (int i = 0; i < watchers; i++)
			free(xs_read_watch(w[i], &n));
		lat[e] = (double)(now_ns() - t0) / 1e3;
	}
	for (int i = 0; i < watchers; i++)
		xs_close(w[i]);
	xs_close(writer);
	return median(lat, events);
}

/* ---- the daemons ---- */

static void start_ours(struct daemon *d, const char *dir)
{
	snprintf(d->socket, sizeof(d->socket), "%s/ours.sock", dir);
	d->name = "sdrv-xenstored";
	d->pid = fork();
	if (d->pid == 0) {
		execl(XENSTORED_BIN, XENSTORED_BIN, "--socket", d->socket,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		struct xs_handle *h;

		setenv("XENSTORED_PATH", d->socket, 1);
		if (access(d->socket, F_OK) == 0 && (h = xs_open(0))) {
			xs_close(h);
			return;
		}
		usleep(10000);
	}
	fprintf(stderr, "xsperf: sdrv-xenstored did not start on %s\n",
		d->socket);
	exit(1);
}

static int start_theirs(struct daemon *d, const char *xsref, const char *dir)
{
	char cmd[1024];
	FILE *f;

	d->name = "C xenstored";
	/* The C daemon takes its socket path from XENSTORED_PATH too. */
	unsetenv("XENSTORED_PATH");
	snprintf(d->ref_dir, sizeof(d->ref_dir), "%s/ref", dir);
	snprintf(cmd, sizeof(cmd), "%s/xsref.sh start c %s", xsref, d->ref_dir);
	f = popen(cmd, "r");
	if (!f || !fgets(d->socket, sizeof(d->socket), f)) {
		if (f)
			pclose(f);
		return -1;
	}
	d->socket[strcspn(d->socket, "\n")] = '\0';
	return pclose(f) == 0 ? 0 : -1;
}

static void stop_all(struct daemon *ours, struct daemon *theirs,
		     const char *xsref)
{
	char cmd[1024];
	int status;

	kill(ours->pid, SIGTERM);
	waitpid(ours->pid, &status, 0);
	snprintf(cmd, sizeof(cmd), "%s/xsref.sh stop %s >/dev/null", xsref,
		 theirs->ref_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "xsperf: stopping the C xenstored failed\n");
}

/* ---- rows ---- */

enum kind { PAIRS, TX, WATCH };

static double run_one(const struct config *c, const struct daemon *d,
		      enum kind k, int clients)
{
	switch (k) {
	case PAIRS:
		return ops_per_s(d, clients, c->ops, false) / 1e3;
	case TX:
		return ops_per_s(d, clients, c->ops / 2, true) / 1e3;
	default:
		return watch_latency_us(d, clients, c->events);
	}
}

static void measure(const struct config *c, const struct daemon *ours,
		    const struct daemon *theirs, enum kind k, int clients)
{
	double o[REPORT_MAX_REPS], t[REPORT_MAX_REPS];
	struct row *r = &rows[nr_rows++];

	memset(r, 0, sizeof(*r));
	snprintf(r->section, sizeof(r->section), "%s",
		 k == PAIRS ? "write+read" : k == TX ? "transaction" : "watch");
	snprintf(r->workload, sizeof(r->workload), "%d %s", clients,
		 k == WATCH ? (clients > 1 ? "watchers" : "watcher")
			    : (clients > 1 ? "clients" : "client"));
	snprintf(r->metric, sizeof(r->metric), "%s",
		 k == WATCH ? "median us" : "K/s");
	snprintf(r->peer, sizeof(r->peer), "C xenstored");
	r->lower_is_better = k == WATCH;
	for (int i = 0; i < c->reps; i++) {
		if (i % 2) {
			t[i] = run_one(c, theirs, k, clients);
			o[i] = run_one(c, ours, k, clients);
		} else {
			o[i] = run_one(c, ours, k, clients);
			t[i] = run_one(c, theirs, k, clients);
		}
	}
	settle_row(r, o, t, c->reps);
	report_print(r);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "out", required_argument, NULL, 'o' },
		{ "reps", required_argument, NULL, 'r' },
		{ "xsref", required_argument, NULL, 'x' },
		{ 0 },
	};
	struct config c = { .reps = 5, .ops = 4000, .events = 200,
			    .out = "bench/results", .xsref = XSREF_DIR };
	struct daemon ours = { 0 }, theirs = { 0 };
	char dir[] = "/tmp/xsperf-XXXXXX", csv[512], svg[512];
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'q') {
			c.reps = 3;
			c.ops = 1000;
			c.events = 50;
		} else if (o == 'o') {
			c.out = optarg;
		} else if (o == 'r') {
			c.reps = atoi(optarg);
			if (c.reps < 1 || c.reps > REPORT_MAX_REPS) {
				fprintf(stderr, "xsperf: --reps %s: 1 to %d\n",
					optarg, REPORT_MAX_REPS);
				return 2;
			}
		} else if (o == 'x') {
			c.xsref = optarg;
		} else {
			fprintf(stderr, "usage: xsperf [--quick] [--out DIR] "
					"[--reps N] [--xsref DIR]\n");
			return 2;
		}
	}
	if (!mkdtemp(dir)) {
		perror("xsperf: mkdtemp");
		return 1;
	}
	start_ours(&ours, dir);
	if (start_theirs(&theirs, c.xsref, dir)) {
		fprintf(stderr,
			"xsperf: cannot start Xen's C xenstored with %s/xsref.sh "
			"(apt-get install xen-utils-4.17 xenstore-utils)\n",
			c.xsref);
		kill(ours.pid, SIGTERM);
		return 1;
	}
	printf("xsperf: %d repetitions per row, ours and the peer alternating;\n"
	       "both daemons driven by Xen's libxenstore\n\n",
	       c.reps);
	report_header();
	measure(&c, &ours, &theirs, PAIRS, 1);
	measure(&c, &ours, &theirs, PAIRS, 4);
	measure(&c, &ours, &theirs, TX, 1);
	measure(&c, &ours, &theirs, TX, 4);
	measure(&c, &ours, &theirs, WATCH, 1);
	measure(&c, &ours, &theirs, WATCH, 8);
	stop_all(&ours, &theirs, c.xsref);

	mkdir(c.out, 0755);
	snprintf(csv, sizeof(csv), "%s/xsperf.csv", c.out);
	snprintf(svg, sizeof(svg), "%s/xsperf.svg", c.out);
	if (report_write_csv(csv, rows, nr_rows)) {
		fprintf(stderr, "xsperf: %s: cannot write\n", csv);
		return 1;
	}
	if (report_plot(csv, svg, "xsperf: sdrv-xenstored vs Xen's C xenstored") == 0)
		printf("\nwrote %s and %s\n", csv, svg);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * bench/xsperf - sdrv-xenstored against Xen's own C xenstored (Debian's
 * xen-utils-4.17, run without a hypervisor on a private socket by
 * tools/peers/xen-xenstored.sh),
 * both driven by the same clients, so that only the daemon differs.
 *
 * Most rows use a bare wire client (raw.c: one write per batch, replies
 * read in bulk, no threads), so the daemon is what is measured:
 *   write+read    pairs/s: 1 client one at a time (on one CPU with the
 *                 daemon, and on another), 1 and 4 clients with 32 pairs in
 *                 flight each; and the daemon's own CPU time per pair (from
 *                 /proc/PID/schedstat) in the 1-client batched run
 *   transaction   start, then read + write + commit sent together, per
 *                 second, 1 and 4 clients; the daemon's CPU time per one
 *   watch event   latency from sending a write to the last watcher reading
 *                 its event, 1 and 8 watchers
 * Two rows use Xen's libxenstore, as Xen's tools do: a pair and a watch
 * event, 1 client.  Its reader thread hands each reply to the caller; that
 * costs more than either daemon's work, so these rows show what tools see,
 * not the daemons.
 *
 * Each row alternates ours and the peer for --reps repetitions; the ratio is
 * the median of the per-repetition ratios (> 1: splitdrv better).  Writes a
 * table, xsperf.csv and xsperf.svg.
 *
 *   xsperf [--quick] [--out DIR] [--reps N] [--filter TEXT]  (--help)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#include "raw.h"
#include "cli.h"
#include "report.h"
#include "timing.h"

/* Rows of a full run (bench/results/xsperf.csv has them all). */
#define XSPERF_ROWS 13
#define MAX_CLIENTS 8
#define WINDOW 32 /* pairs in flight per batched client */

struct daemon {
	const char *name;
	char socket[256];
	pid_t pid; /* the daemon process */
	char ref_dir[128]; /* theirs */
};

struct config {
	struct bench_opts o;
	int reps;
	int ops; /* per client per repetition */
	int events;
};

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

enum kind {
	PAIRS, /* raw, @window pairs in flight per client */
	CPU, /* raw, 1 client batched: the daemon's CPU ns per pair */
	TX, /* raw */
	CPU_TX, /* raw, 1 client: the daemon's CPU ns per transaction */
	WATCH, /* raw */
	LIB_PAIRS, /* libxenstore */
	LIB_WATCH, /* libxenstore */
	CROWD, /* raw: a client's pairs while a crowd comes and goes */
};

struct worker {
	const struct daemon *d;
	enum kind k;
	int id, ops, window;
	pthread_barrier_t *start;
	int failed; /* libxenstore: operations that failed */
};

static void raw_pairs(struct raw *r, const char *path, int ops, int window)
{
	const char *reply;
	char val[16];

	for (int done = 0; done < ops;) {
		int n = ops - done < window ? ops - done : window;

		for (int i = 0; i < n; i++) {
			int len = snprintf(val, sizeof(val), "%d", done + i);

			raw_put(r, SDRV_XS_WRITE, 0, path, val, (size_t)len);
			raw_put(r, SDRV_XS_READ, 0, path, NULL, 0);
		}
		raw_flush(r);
		for (int i = 0; i < n; i++) {
			raw_expect(r, SDRV_XS_WRITE, &reply);
			raw_expect(r, SDRV_XS_READ, &reply);
		}
		done += n;
	}
}

/* Start, then read + write + commit in one batch: a toolstack's
 * read-modify-write.  Each client has its own key: no conflicts. */
static void raw_transactions(struct raw *r, const char *path, int ops)
{
	const char *reply;
	char val[16];

	for (int i = 0; i < ops; i++) {
		uint32_t tx;
		int len = snprintf(val, sizeof(val), "%d", i);

		raw_put(r, SDRV_XS_TRANSACTION_START, 0, "", NULL, 0);
		raw_flush(r);
		raw_expect(r, SDRV_XS_TRANSACTION_START, &reply);
		tx = (uint32_t)strtoul(reply, NULL, 10);
		raw_put(r, SDRV_XS_READ, tx, path, NULL, 0);
		raw_put(r, SDRV_XS_WRITE, tx, path, val, (size_t)len);
		raw_put(r, SDRV_XS_TRANSACTION_END, tx, "T", NULL, 0);
		raw_flush(r);
		raw_expect(r, SDRV_XS_READ, &reply);
		raw_expect(r, SDRV_XS_WRITE, &reply);
		raw_expect(r, SDRV_XS_TRANSACTION_END, &reply);
	}
}

static void lib_ops(struct worker *w, struct xs_handle *h, const char *path)
{
	char val[32];
	unsigned len;

	for (int i = 0; i < w->ops; i++) {
		int n = snprintf(val, sizeof(val), "%d", i);
		char *r = xs_read(h, XBT_NULL, path, &len);

		free(r);
		if (!r || !xs_write(h, XBT_NULL, path, val, (unsigned)n))
			w->failed++;
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct raw r;
	struct xs_handle *h = NULL;
	char path[64];

	snprintf(path, sizeof(path), "/bench/c%d/key", w->id);
	if (w->k == LIB_PAIRS) {
		h = open_at(w->d);
		xs_write(h, XBT_NULL, path, "0", 1);
	} else {
		const char *reply;

		raw_open(&r, w->d->name, w->d->socket);
		raw_put(&r, SDRV_XS_WRITE, 0, path, "0", 1);
		raw_flush(&r);
		raw_expect(&r, SDRV_XS_WRITE, &reply);
	}
	pthread_barrier_wait(w->start);
	if (w->k == LIB_PAIRS)
		lib_ops(w, h, path);
	else if (w->k == TX)
		raw_transactions(&r, path, w->ops);
	else
		raw_pairs(&r, path, w->ops, w->window);
	pthread_barrier_wait(w->start);
	if (h)
		xs_close(h);
	else
		raw_close(&r);
	return NULL;
}

/* The daemon's CPU time so far, in ns (the scheduler's own account). */
static uint64_t daemon_cpu_ns(const struct daemon *d)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)d->pid);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &ns) != 1) {
		fprintf(stderr, "xsperf: %s: cannot read %s\n", d->name, path);
		exit(1);
	}
	fclose(f);
	return ns;
}

/* Operations per second over @clients threads; with @cpu_ns, the daemon's
 * CPU time per operation instead. */
static double ops_per_s(const struct daemon *d, enum kind k, int clients,
			int ops, int window, double *cpu_ns)
{
	pthread_t th[MAX_CLIENTS];
	struct worker w[MAX_CLIENTS];
	pthread_barrier_t start;
	uint64_t t0, t1, c0, c1;
	int failed = 0;

	pthread_barrier_init(&start, NULL, (unsigned)clients + 1);
	for (int i = 0; i < clients; i++) {
		w[i] = (struct worker){ d, k, i, ops, window, &start, 0 };
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	pthread_barrier_wait(&start);
	c0 = daemon_cpu_ns(d);
	t0 = now_ns();
	pthread_barrier_wait(&start);
	t1 = now_ns();
	c1 = daemon_cpu_ns(d);
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
	if (cpu_ns)
		*cpu_ns = (double)(c1 - c0) / ((double)clients * ops);
	return (double)clients * ops / ((double)(t1 - t0) / 1e9);
}

/* The watch's reply and its registration event, in whichever order. */
static void raw_watch(struct raw *r, const char *path)
{
	struct sdrv_xs_msg h;
	const char *payload;
	bool replied = false, fired = false;

	raw_put(r, SDRV_XS_WATCH, 0, path, "tok", 4);
	raw_flush(r);
	while (!replied || !fired) {
		raw_next(r, &h, &payload);
		if (h.type == SDRV_XS_WATCH_EVENT)
			fired = true;
		else if (h.type == SDRV_XS_WATCH)
			replied = true;
		else
			raw_expect(r, SDRV_XS_WATCH, &payload); /* says why */
	}
}

static int nr_cpus; /* online, counted at start */

struct crowd {
	const char *socket;
	int clients;
	volatile int done;
};

/* @clients clients, one after another in bursts: connect, send a READ,
 * hang up without reading the reply. */
static void *crowd_come_and_go(void *arg)
{
	struct crowd *cr = arg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sdrv_xs_msg h = { .type = SDRV_XS_READ, .req_id = 1, .len = 2 };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", cr->socket);
	for (int i = 0; i < cr->clients; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    write(fd, &h, sizeof(h)) == sizeof(h) &&
		    write(fd, "/", 2) == 2) {
			/* gone without reading */
		}
		if (fd >= 0)
			close(fd);
		/* in bursts of 50 a millisecond: a crowd, not a flood */
		if (i % 50 == 49)
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	__atomic_store_n(&cr->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The 99th percentile, in microseconds, of one client's write+read pairs
 * while @clients others connect, send and leave without reading. */
static double crowd_p99_us(const struct daemon *d, int clients)
{
	static struct raw probe;
	static double lat[100000];
	struct crowd cr = { .socket = d->socket, .clients = clients };
	const char *reply;
	pthread_t t;
	int n = 0;

	raw_open(&probe, d->name, d->socket);
	pthread_create(&t, NULL, crowd_come_and_go, &cr);
	/* The crowd beside the daemon (CPU 0), the probe alone on its CPU:
	 * the probe's wait is the daemon's, not the scheduler's. */
	if (nr_cpus >= 2) {
		cpu_set_t zero;

		CPU_ZERO(&zero);
		CPU_SET(0, &zero);
		pthread_setaffinity_np(t, sizeof(zero), &zero);
	}
	while (!__atomic_load_n(&cr.done, __ATOMIC_ACQUIRE) && n < 100000) {
		uint64_t t0 = now_ns();

		raw_put(&probe, SDRV_XS_WRITE, 0, "/crowd/probe", "p", 1);
		raw_put(&probe, SDRV_XS_READ, 0, "/crowd/probe", NULL, 0);
		raw_flush(&probe);
		raw_expect(&probe, SDRV_XS_WRITE, &reply);
		raw_expect(&probe, SDRV_XS_READ, &reply);
		lat[n++] = (double)(now_ns() - t0) / 1e3;
	}
	pthread_join(t, NULL);
	raw_close(&probe);
	if (n == 0)
		return 0;
	return percentile(lat, n, 99);
}

/* Median microseconds from sending a write to the last of @watchers
 * reading its event. */
static double watch_latency_us(const struct daemon *d, int watchers,
			       int events, bool lib)
{
	static struct raw rw[MAX_CLIENTS], writer;
	struct xs_handle *lw[MAX_CLIENTS], *lwriter = NULL;
	const char *payload;
	double lat[256];
	unsigned n;

	if (events > 256)
		events = 256;
	if (lib) {
		lwriter = open_at(d);
		xs_write(lwriter, XBT_NULL, "/bench/watched", "0", 1);
	} else {
		raw_open(&writer, d->name, d->socket);
		raw_put(&writer, SDRV_XS_WRITE, 0, "/bench/watched", "0", 1);
		raw_flush(&writer);
		raw_expect(&writer, SDRV_XS_WRITE, &payload);
	}
	for (int i = 0; i < watchers; i++) {
		if (lib) {
			lw[i] = open_at(d);
			xs_watch(lw[i], "/bench/watched", "tok");
			free(xs_read_watch(lw[i], &n)); /* registration */
		} else {
			raw_open(&rw[i], d->name, d->socket);
			raw_watch(&rw[i], "/bench/watched");
		}
	}
	for (int e = 0; e < events; e++) {
		uint64_t t0 = now_ns();

		if (lib) {
			xs_write(lwriter, XBT_NULL, "/bench/watched", "1", 1);
			for (int i = 0; i < watchers; i++)
				free(xs_read_watch(lw[i], &n));
		} else {
			raw_put(&writer, SDRV_XS_WRITE, 0, "/bench/watched",
				"1", 1);
			raw_flush(&writer);
			for (int i = 0; i < watchers; i++)
				raw_expect(&rw[i], SDRV_XS_WATCH_EVENT,
					   &payload);
		}
		lat[e] = (double)(now_ns() - t0) / 1e3;
		if (!lib)
			raw_expect(&writer, SDRV_XS_WRITE, &payload);
	}
	for (int i = 0; i < watchers; i++) {
		if (lib)
			xs_close(lw[i]);
		else
			raw_close(&rw[i]);
	}
	if (lib)
		xs_close(lwriter);
	else
		raw_close(&writer);
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

/* Xen's C xenstored, through our launcher; its pid from the launcher's
 * pid file.  Return: 0, or -1 having said why. */
static int start_theirs(struct daemon *d, const char *dir)
{
	char cmd[1024];
	FILE *f;

	d->name = "C xenstored";
	/* The C daemon takes its socket path from XENSTORED_PATH too. */
	unsetenv("XENSTORED_PATH");
	snprintf(d->ref_dir, sizeof(d->ref_dir), "%s/ref", dir);
	snprintf(cmd, sizeof(cmd), "%s start %s %s", XEN_XENSTORED_SH,
		 XENSTORED_NOHV_SO, d->ref_dir);
	f = popen(cmd, "r");
	if (!f || !fgets(d->socket, sizeof(d->socket), f)) {
		if (f)
			pclose(f);
		return -1; /* the launcher said why on stderr */
	}
	d->socket[strcspn(d->socket, "\n")] = '\0';
	if (pclose(f) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/xenstored.pid", d->ref_dir);
	f = fopen(cmd, "r");
	if (!f || fscanf(f, "%d", &d->pid) != 1) {
		if (f)
			fclose(f);
		cli_error("C xenstored: no pid in %s", cmd);
		return -1;
	}
	fclose(f);
	return 0;
}

static void stop_all(struct daemon *ours, struct daemon *theirs)
{
	char cmd[1024];
	int status;

	kill(ours->pid, SIGTERM);
	waitpid(ours->pid, &status, 0);
	snprintf(cmd, sizeof(cmd), "%s stop %s >/dev/null", XEN_XENSTORED_SH,
		 theirs->ref_dir);
	if (system(cmd) != 0)
		cli_error("stopping the C xenstored failed");
}

/* ---- placement ---- */

/*
 * Where the daemon and the clients run, fixed for each row: left to the
 * scheduler, a request/reply pair of processes migrates between sharing a
 * CPU and not mid-run, and on this software-virtualised machine a wake-up
 * across vCPUs costs ~25 us against ~5 us for a switch on one CPU, so the
 * same row measured 41 K/s then 19 K/s a second later.  Both daemons get
 * the same placement.
 */
enum place {
	ONE_CPU, /* daemon and clients on CPU 0: a wake-up is a switch */
	TWO_CPUS, /* daemon on CPU 0, clients on CPU 1 */
	ANY_CPU, /* the scheduler's choice (several clients) */
};


static void set_cpus(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < nr_cpus; i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	if (sched_setaffinity(pid, sizeof(set), &set))
		fprintf(stderr, "xsperf: cannot pin pid %d: %s\n", (int)pid,
			strerror(errno));
}

/* Pin the daemon and this thread (clients are its threads: they inherit). */
static void place(const struct daemon *d, enum place p)
{
	if (nr_cpus < 2)
		p = ANY_CPU;
	set_cpus(d->pid, p == ANY_CPU ? -1 : 0);
	set_cpus(0, p == ANY_CPU ? -1 : p == ONE_CPU ? 0 : 1);
}

/* ---- rows ---- */

struct spec {
	enum kind k;
	int clients, window;
	enum place place;
};

static double run_one(const struct config *c, const struct daemon *d,
		      const struct spec *sp)
{
	double cpu;

	place(d, sp->place);
	switch (sp->k) {
	case PAIRS:
		return ops_per_s(d, PAIRS, sp->clients, c->ops, sp->window,
				 NULL) / 1e3;
	case CPU:
		ops_per_s(d, PAIRS, 1, c->ops, WINDOW, &cpu);
		return cpu / 1e3;
	case TX:
		return ops_per_s(d, TX, sp->clients, c->ops / 4, 1, NULL) / 1e3;
	case CPU_TX:
		ops_per_s(d, TX, 1, c->ops / 4, 1, &cpu);
		return cpu / 1e3;
	case LIB_PAIRS:
		return ops_per_s(d, LIB_PAIRS, sp->clients, c->ops / 4, 1,
				 NULL) / 1e3;
	case CROWD:
		return crowd_p99_us(d, sp->clients);
	default:
		return watch_latency_us(d, sp->clients, c->events,
					sp->k == LIB_WATCH);
	}
}

static void describe(struct row *r, const struct spec *sp)
{
	const char *who = sp->clients > 1 ? "clients" : "client";

	switch (sp->k) {
	case PAIRS:
		snprintf(r->section, sizeof(r->section), "write+read");
		if (sp->window > 1)
			snprintf(r->workload, sizeof(r->workload),
				 "%d %s, %d in flight", sp->clients, who,
				 sp->window);
		else
			snprintf(r->workload, sizeof(r->workload),
				 "%d %s, 1 in flight", sp->clients, who);
		snprintf(r->metric, sizeof(r->metric), "K/s");
		break;
	case CPU:
		snprintf(r->section, sizeof(r->section), "write+read");
		snprintf(r->workload, sizeof(r->workload),
			 "daemon CPU per pair");
		snprintf(r->metric, sizeof(r->metric), "us");
		r->lower_is_better = true;
		break;
	case CPU_TX:
		snprintf(r->section, sizeof(r->section), "transaction");
		snprintf(r->workload, sizeof(r->workload),
			 "daemon CPU per tx");
		snprintf(r->metric, sizeof(r->metric), "us");
		r->lower_is_better = true;
		break;
	case TX:
		snprintf(r->section, sizeof(r->section), "transaction");
		snprintf(r->workload, sizeof(r->workload), "%d %s",
			 sp->clients, who);
		snprintf(r->metric, sizeof(r->metric), "K/s");
		break;
	case WATCH:
	case LIB_WATCH:
		snprintf(r->section, sizeof(r->section), "%s",
			 sp->k == WATCH ? "watch" : "libxenstore");
		snprintf(r->workload, sizeof(r->workload), "%s%d %s",
			 sp->k == WATCH ? "" : "watch, ", sp->clients,
			 sp->clients > 1 ? "watchers" : "watcher");
		snprintf(r->metric, sizeof(r->metric), "median us");
		r->lower_is_better = true;
		break;
	case CROWD:
		snprintf(r->section, sizeof(r->section), "crowd");
		snprintf(r->workload, sizeof(r->workload),
			 "1 client among %d that never read", sp->clients);
		snprintf(r->metric, sizeof(r->metric), "p99 us");
		r->lower_is_better = true;
		break;
	case LIB_PAIRS:
		snprintf(r->section, sizeof(r->section), "libxenstore");
		snprintf(r->workload, sizeof(r->workload),
			 "write+read, %d %s", sp->clients, who);
		snprintf(r->metric, sizeof(r->metric), "K/s");
		break;
	}
}

static void measure(const struct config *c, const struct daemon *ours,
		    const struct daemon *theirs, struct spec sp)
{
	static const char *const where[] = { ", 1 CPU", ", 2 CPUs", "" };
	double o[REPORT_MAX_REPS], t[REPORT_MAX_REPS];
	struct row named = { 0 }, *r;

	describe(&named, &sp);
	strncat(named.workload, where[sp.place],
		sizeof(named.workload) - strlen(named.workload) - 1);
	snprintf(named.peer, sizeof(named.peer), "C xenstored");
	if (!bench_wanted(&c->o, named.section, named.workload))
		return;
	r = report_new_row();
	*r = named;
	for (int i = 0; i < c->reps; i++) {
		if (i % 2) {
			t[i] = run_one(c, theirs, &sp);
			o[i] = run_one(c, ours, &sp);
		} else {
			o[i] = run_one(c, ours, &sp);
			t[i] = run_one(c, theirs, &sp);
		}
	}
	settle_row(r, o, t, c->reps);
	report_print(r);
}

int main(int argc, char **argv)
{
	struct config c = { .ops = 20000, .events = 200 };
	struct daemon ours = { 0 }, theirs = { 0 };
	char dir[] = "/tmp/xsperf-XXXXXX";

	bench_parse(argc, argv,
		    "sdrv-xenstored against Xen's own C xenstored (Debian's "
		    "xen-utils-4.17, run\nwithout a hypervisor on a private "
		    "socket), both driven by the same clients:\nwrite+read "
		    "pairs, transactions, watch events, the daemons' CPU per "
		    "request.",
		    &c.o);
	if (c.o.quick) {
		c.ops = 4000;
		c.events = 50;
	}
	c.reps = c.o.reps ? c.o.reps : c.o.quick ? 3 : 5;
	if (!mkdtemp(dir))
		cli_fail("%s: %s", dir, strerror(errno));
	start_ours(&ours, dir);
	if (start_theirs(&theirs, dir)) {
		kill(ours.pid, SIGTERM);
		cli_fail("cannot start Xen's C xenstored (the peer): see the "
			 "line above");
	}
	report_open("xsperf", "xsperf: sdrv-xenstored vs Xen's C xenstored",
		    &c.o, c.o.filter ? 0 : XSPERF_ROWS,
		    (c.o.quick ? 12 : 80) * c.reps / (c.o.quick ? 3 : 5));
	printf("%d repetitions per row, ours and the peer alternating;\n"
	       "both daemons driven by the same clients (a bare wire client;\n"
	       "the libxenstore rows by Xen's own library)\n\n",
	       c.reps);
	nr_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	measure(&c, &ours, &theirs, (struct spec){ PAIRS, 1, 1, ONE_CPU });
	measure(&c, &ours, &theirs, (struct spec){ PAIRS, 1, 1, TWO_CPUS });
	measure(&c, &ours, &theirs, (struct spec){ PAIRS, 1, WINDOW, TWO_CPUS });
	measure(&c, &ours, &theirs, (struct spec){ PAIRS, 4, WINDOW, ANY_CPU });
	measure(&c, &ours, &theirs, (struct spec){ CPU, 1, WINDOW, TWO_CPUS });
	measure(&c, &ours, &theirs, (struct spec){ TX, 1, 1, ONE_CPU });
	measure(&c, &ours, &theirs, (struct spec){ TX, 4, 1, ANY_CPU });
	measure(&c, &ours, &theirs, (struct spec){ CPU_TX, 1, 1, ONE_CPU });
	measure(&c, &ours, &theirs, (struct spec){ WATCH, 1, 1, ONE_CPU });
	measure(&c, &ours, &theirs, (struct spec){ WATCH, 8, 1, ONE_CPU });
	measure(&c, &ours, &theirs, (struct spec){ LIB_PAIRS, 1, 1, ONE_CPU });
	measure(&c, &ours, &theirs, (struct spec){ LIB_WATCH, 1, 1, ONE_CPU });
	measure(&c, &ours, &theirs,
		(struct spec){ CROWD, c.o.quick ? 300 : 2000, 1, TWO_CPUS });
	stop_all(&ours, &theirs);
	return report_close();
}

/* SPDX-License-Identifier: MIT */
/*
 * Guests that flood sdrv-xenstored: the toolstack stays served (guests'
 * writes are rate-limited, as Xen's daemon limits them) and guests are
 * served in turn (round-robin over their rings), each measured.  Runs
 * alone (not beside other tests): it measures latency and throughput.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xs_env.h"

#define GUESTS 3

static struct xs_env env;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct flooder {
	struct xs_guest g;
	bool writes; /* WRITE requests, else READs */
	atomic_bool *stop;
	long done;
	int err;
};

static void *flood(void *arg)
{
	struct flooder *f = arg;
	char buf[16];

	while (!atomic_load(f->stop)) {
		int err = f->writes ? sdrv_xs_write_str(f->g.xs, 0, "data/n", "x")
				    : sdrv_xs_read(f->g.xs, 0, "name", buf,
						   sizeof(buf));

		if (err < 0) {
			f->err = err;
			break;
		}
		f->done++;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The toolstack's median write+read latency over @n pairs, in us. */
static double toolstack_median_us(struct sdrv_xs *dom0, int n)
{
	static double t[1000];
	char buf[16];

	for (int i = 0; i < n; i++) {
		double start = now_s();

		cr_assert_eq(sdrv_xs_write_str(dom0, 0, "/tool/probe", "p"), 0);
		cr_assert_eq(sdrv_xs_read(dom0, 0, "/tool/probe", buf,
					  sizeof(buf)),
			     1);
		t[i] = (now_s() - start) * 1e6;
	}
	qsort(t, (size_t)n, sizeof(t[0]), cmp_double);
	return t[n / 2];
}

/* All guests on one CPU, where the host's scheduler shares it evenly:
 * differences left between them are the daemon's. */
static void pin_to_last_cpu(pthread_t t)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t one;

	if (cpus < 2)
		return;
	CPU_ZERO(&one);
	CPU_SET((int)cpus - 1, &one);
	pthread_setaffinity_np(t, sizeof(one), &one);
}

static void start_flood(struct flooder *f, pthread_t *th, atomic_bool *stop,
			bool writes)
{
	for (int i = 0; i < GUESTS; i++) {
		f[i] = (struct flooder){ .writes = writes, .stop = stop };
		xs_guest_start(&env, &f[i].g, (sdrv_domid_t)(3 + i));
		cr_assert_eq(sdrv_xs_write_str(f[i].g.xs, 0, "name", "guest"),
			     0);
	}
	for (int i = 0; i < GUESTS; i++) {
		pthread_create(&th[i], NULL, flood, &f[i]);
		pin_to_last_cpu(th[i]);
	}
}

static void stop_flood(struct flooder *f, pthread_t *th, atomic_bool *stop)
{
	atomic_store(stop, true);
	for (int i = 0; i < GUESTS; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(f[i].err, 0, "guest %d failed: %d", i, f[i].err);
		xs_guest_stop(&env, &f[i].g);
	}
}

/* The toolstack's latency beside the flood is printed, not asserted: a
 * timing fails on a loaded machine (it did in CI: 90 to 618 us while the
 * host was busy).  Each of its requests is still checked answered
 * (toolstack_median_us()); the rate limit is a count, whatever the
 * machine. */
Test(xs_load, writing_guests_are_rate_limited_and_the_toolstack_answered,
     .timeout = 120)
{
	static struct flooder f[GUESTS];
	pthread_t th[GUESTS];
	atomic_bool stop = false;
	struct sdrv_xs *dom0;
	double idle, loaded, start, secs;

	xs_env_start(&env, NULL); /* Xen-like defaults: burst 100, 500/s */
	dom0 = xs_env_dom0(&env);
	idle = toolstack_median_us(dom0, 300);
	start_flood(f, th, &stop, true);
	start = now_s();
	loaded = toolstack_median_us(dom0, 300);
	while (now_s() - start < 2.0)
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	secs = now_s() - start;
	stop_flood(f, th, &stop);
	fprintf(stderr, "toolstack write+read median: idle %.1f us, with %d "
			"guests flooding %.1f us (%.2fx)\n",
		idle, GUESTS, loaded, loaded / idle);
	for (int i = 0; i < GUESTS; i++) {
		double allowed = 100 + 500 * secs * 1.1 + 20;

		fprintf(stderr, "guest %d: %ld writes in %.2f s\n", i,
			f[i].done, secs);
		cr_assert_gt(f[i].done, 100, "guest %d was starved", i);
		cr_assert_leq((double)f[i].done, allowed,
			      "guest %d wrote %ld times in %.2f s: not limited",
			      i, f[i].done, secs);
	}
	sdrv_xs_close(dom0);
	xs_env_stop(&env);
}

/*
 * A guest that keeps its ring full of READ requests, writing them straight
 * into the page (the client library waits for each reply): however the
 * host schedules the guests' threads, each always has requests waiting,
 * so what each gets is the daemon's turn order alone.
 */
struct pipeliner {
	struct xs_guest g;
	atomic_bool *stop;
	long replies;
	int err;
};

static void *pipeline(void *arg)
{
	static const char path[] = "name";
	struct pipeliner *pl = arg;
	struct sdrv_xs_ring_page *pg;
	sdrv_evtchn_port_t port;
	struct sdrv_xs_msg req = { .type = SDRV_XS_READ, .req_id = 1,
				   .len = sizeof(path) };
	uint32_t req_prod, rsp_cons, need = 0, got = 0;
	struct sdrv_xs_msg hdr;
	void *page;

	if (sdrv_platform_xenstore(pl->g.plat, &page, &port)) {
		pl->err = -1;
		return NULL;
	}
	pg = page;
	req_prod = __atomic_load_n(&pg->req_prod, __ATOMIC_ACQUIRE);
	rsp_cons = __atomic_load_n(&pg->rsp_cons, __ATOMIC_ACQUIRE);
	while (!atomic_load(pl->stop)) {
		uint32_t cons = __atomic_load_n(&pg->req_cons, __ATOMIC_ACQUIRE);
		uint32_t prod = __atomic_load_n(&pg->rsp_prod, __ATOMIC_ACQUIRE);
		bool moved = false;

		/* top the request ring up, whole requests only */
		while (SDRV_XS_RING_SIZE - (req_prod - cons) >=
		       sizeof(req) + sizeof(path)) {
			char msg[sizeof(req) + sizeof(path)];

			memcpy(msg, &req, sizeof(req));
			memcpy(msg + sizeof(req), path, sizeof(path));
			for (size_t i = 0; i < sizeof(msg); i++)
				pg->req[SDRV_XS_RING_MASK(req_prod + i)] = msg[i];
			req_prod += sizeof(msg);
			moved = true;
		}
		/* take the replies: a header, then its payload */
		for (; rsp_cons != prod; rsp_cons++, moved = true) {
			char c = pg->rsp[SDRV_XS_RING_MASK(rsp_cons)];

			if (got < sizeof(hdr)) {
				((char *)&hdr)[got++] = c;
				if (got == sizeof(hdr))
					need = sizeof(hdr) + hdr.len;
			} else {
				got++;
			}
			if (got == sizeof(hdr) && hdr.len == 0)
				need = sizeof(hdr);
			if (got >= sizeof(hdr) && got == need) {
				if (hdr.type == SDRV_XS_READ)
					pl->replies++;
				else if (hdr.type == SDRV_XS_ERROR)
					pl->err = -2;
				got = 0;
			}
		}
		__atomic_store_n(&pg->req_prod, req_prod, __ATOMIC_RELEASE);
		__atomic_store_n(&pg->rsp_cons, rsp_cons, __ATOMIC_RELEASE);
		if (moved)
			sdrv_evtchn_notify(pl->g.plat, port);
		/* then sleep until the daemon says it moved: the guests
		 * leave the CPUs to the daemon, which is what is measured */
		sdrv_evtchn_wait_port(pl->g.plat, port, 10);
	}
	return NULL;
}

Test(xs_load, guests_are_served_in_turn, .timeout = 120)
{
	static struct pipeliner pl[GUESTS];
	pthread_t th[GUESTS];
	atomic_bool stop = false;
	long min = -1, max = 0;

	xs_env_start(&env, NULL);
	for (int i = 0; i < GUESTS; i++) {
		pl[i] = (struct pipeliner){ .stop = &stop };
		xs_guest_start(&env, &pl[i].g, (sdrv_domid_t)(3 + i));
		cr_assert_eq(sdrv_xs_write_str(pl[i].g.xs, 0, "name", "guest"),
			     0);
		/* the ring is the pipeliner's from here */
		sdrv_xs_close(pl[i].g.xs);
		pl[i].g.xs = NULL;
	}
	for (int i = 0; i < GUESTS; i++) {
		pthread_create(&th[i], NULL, pipeline, &pl[i]);
		pin_to_last_cpu(th[i]);
	}
	nanosleep(&(struct timespec){ .tv_sec = 2 }, NULL);
	atomic_store(&stop, true);
	for (int i = 0; i < GUESTS; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(pl[i].err, 0, "guest %d: error %d", i, pl[i].err);
		fprintf(stderr, "guest %d: %ld reads answered\n", i,
			pl[i].replies);
		if (min < 0 || pl[i].replies < min)
			min = pl[i].replies;
		if (pl[i].replies > max)
			max = pl[i].replies;
	}
	for (int i = 0; i < GUESTS; i++)
		xs_guest_stop(&env, &pl[i].g);
	cr_assert_gt(min, 0);
	cr_assert_geq((double)min / (double)max, 0.9,
		      "per-guest throughput min/max %.2f", (double)min / max);
	xs_env_stop(&env);
}

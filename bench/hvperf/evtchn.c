/* SPDX-License-Identifier: MIT */
/*
 * bench/hvperf/evtchn.c - notify-to-wake: an event channel ping-pong between
 * two threads that block, against the same ping-pong over raw eventfds.
 */
#define _GNU_SOURCE
#include "hvperf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "timing.h"

struct pong {
	struct sdrv_platform *p;
	sdrv_evtchn_port_t port;
	uint64_t n;
	int efd_in, efd_out; /* raw eventfd peer */
};

/* Wait until @port has an event.  Any other port's event found nothing
 * to do here: said so (late EOI), so a flooding one is held back. */
static int wait_port(struct sdrv_platform *p, sdrv_evtchn_port_t port)
{
	sdrv_evtchn_port_t got[8];
	bool found = false;

	while (!found) {
		int n = sdrv_evtchn_wait(p, got, 8, -1);

		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			if (got[i] == port)
				found = true;
			else
				sdrv_evtchn_lateeoi(p, got[i], true);
		}
	}
	return 0;
}

/* Another guest notifying dom0, about 100,000 times a second (bursts of
 * 100 a millisecond), until told to stop. */
struct flood {
	struct sdrv_platform *p;
	sdrv_evtchn_port_t port;
	atomic_bool stop;
};

static void *flooder(void *arg)
{
	struct flood *f = arg;
	struct timespec ms = { .tv_nsec = 1000000 };

	while (!atomic_load(&f->stop)) {
		for (int i = 0; i < 100; i++)
			sdrv_evtchn_notify(f->p, f->port);
		nanosleep(&ms, NULL);
	}
	return NULL;
}

static void *evtchn_ponger(void *arg)
{
	struct pong *g = arg;

	for (uint64_t i = 0; i < g->n; i++)
		if (wait_port(g->p, g->port) || sdrv_evtchn_notify(g->p, g->port))
			break;
	return NULL;
}

double evtchn_round_trip_us(struct hvperf_env *e, uint64_t n, bool flooded)
{
	sdrv_evtchn_port_t pu, p0, pf0 = 0;
	struct pong g = { .p = e->domu, .n = n };
	struct flood f = { .p = e->flooder };
	pthread_t t, ft;
	uint64_t t0;
	double us;

	if (sdrv_evtchn_alloc_unbound(e->domu, 0, &pu) ||
	    sdrv_evtchn_bind_interdomain(e->dom0, 1, pu, &p0) ||
	    wait_port(e->dom0, p0)) /* the bind's own event */
		return 0;
	if (flooded &&
	    (sdrv_evtchn_alloc_unbound(e->dom0, 3, &pf0) ||
	     sdrv_evtchn_bind_interdomain(e->flooder, 0, pf0, &f.port)))
		return 0;
	if (flooded)
		pthread_create(&ft, NULL, flooder, &f);
	g.port = pu;
	pthread_create(&t, NULL, evtchn_ponger, &g);
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++)
		if (sdrv_evtchn_notify(e->dom0, p0) || wait_port(e->dom0, p0))
			break;
	us = (double)(now_ns() - t0) / 1e3 / (double)n;
	pthread_join(t, NULL);
	if (flooded) {
		atomic_store(&f.stop, true);
		pthread_join(ft, NULL);
		sdrv_evtchn_close(e->flooder, f.port);
		sdrv_evtchn_close(e->dom0, pf0);
	}
	sdrv_evtchn_close(e->dom0, p0);
	wait_port(e->domu, pu); /* the close's event, so the next run starts clean */
	sdrv_evtchn_close(e->domu, pu);
	return us;
}

static void *eventfd_ponger(void *arg)
{
	struct pong *g = arg;
	uint64_t v = 1;

	for (uint64_t i = 0; i < g->n; i++)
		if (read(g->efd_in, &v, sizeof(v)) != sizeof(v) ||
		    write(g->efd_out, &v, sizeof(v)) != sizeof(v))
			break;
	return NULL;
}

double eventfd_round_trip_us(uint64_t n)
{
	struct pong g = { .n = n, .efd_in = eventfd(0, EFD_CLOEXEC),
			  .efd_out = eventfd(0, EFD_CLOEXEC) };
	uint64_t v = 1, t0;
	pthread_t t;
	double us;

	pthread_create(&t, NULL, eventfd_ponger, &g);
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++)
		if (write(g.efd_in, &v, sizeof(v)) != sizeof(v) ||
		    read(g.efd_out, &v, sizeof(v)) != sizeof(v))
			break;
	us = (double)(now_ns() - t0) / 1e3 / (double)n;
	pthread_join(t, NULL);
	close(g.efd_in);
	close(g.efd_out);
	return us;
}

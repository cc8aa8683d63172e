/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "timing.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "pair.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double ns_per_tick(void)
{
	static double cached;

	if (cached == 0) {
		uint64_t t0 = now_ns(), k0 = ticks(), t1, k1;

		do
			t1 = now_ns();
		while (t1 - t0 < 20000000); /* 20 ms */
		k1 = ticks();
		cached = (double)(t1 - t0) / (double)(k1 - k0);
	}
	return cached;
}

#define PINGS 20000

struct pingpong {
	_Alignas(64) _Atomic uint64_t line;
};

static void *pong(void *arg)
{
	struct pingpong *pp = arg;

	pair_pin_self(1);
	for (uint64_t i = 1; i < 2 * PINGS; i += 2) {
		while (atomic_load_explicit(&pp->line, memory_order_acquire) != i)
			;
		atomic_store_explicit(&pp->line, i + 1, memory_order_release);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

double crosscore_transfer_ns(void)
{
	static struct pingpong pp;
	static uint64_t samples[PINGS / 100];
	pthread_t thread;
	int n = 0;

	atomic_store(&pp.line, 0);
	pair_pin_self(0);
	if (pthread_create(&thread, NULL, pong, &pp))
		return 0;
	/* Time blocks of 100 round trips; the median block resists the
	 * host's hiccups. */
	for (uint64_t i = 0; i < 2 * PINGS; i += 200) {
		uint64_t start = ticks();

		for (uint64_t j = i; j < i + 200; j += 2) {
			atomic_store_explicit(&pp.line, j + 1,
					      memory_order_release);
			while (atomic_load_explicit(&pp.line,
						    memory_order_acquire) !=
			       j + 2)
				;
		}
		samples[n++] = ticks() - start;
	}
	pthread_join(thread, NULL);
	qsort(samples, (size_t)n, sizeof(samples[0]), cmp_u64);
	return (double)samples[n / 2] * ns_per_tick() / 200.0;
}

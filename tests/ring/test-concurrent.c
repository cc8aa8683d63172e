/* SPDX-License-Identifier: MIT */
/*
 * libring on both sides, in two threads and two processes: the Xen ring with
 * event-index notifications, and the SPSC ring streaming millions of
 * elements.  This is what the ThreadSanitizer build runs (the interop tests
 * cannot be: Xen's macros use plain accesses with asm barriers, which TSan
 * reports by design).  Under TSan it is built with tsan_runner.h instead of
 * criterion (see there why).
 */
#ifdef TSAN_RUNNER
#define TSAN_RUNNER_MAIN
#include "tsan_runner.h"
#else
#include <criterion/criterion.h>
#endif

#include <splitdrv/ring_spsc.h>

#include "pair.h"
#include "sides.h"

#define ROUND_TRIPS 1000000ull

static void run(enum pair_mode mode, uint32_t pages, uint32_t max_batch)
{
	int status = sides_run(mode, lib_front, lib_back, pages, ROUND_TRIPS,
			       max_batch);

	cr_assert_eq(status, 0, "%s, %u page(s), batch %u: status %d",
		     pair_mode_name(mode), pages, max_batch, status);
}

Test(ring_concurrent, threads_stream_with_notifications, .timeout = 240)
{
	run(PAIR_THREADS, 1, 64);
	run(PAIR_THREADS, 8, 1);
}

Test(ring_concurrent, spans_stream_with_notifications, .timeout = 240)
{
	int status = sides_run(PAIR_THREADS, lib_front_span, lib_back_span, 1,
			       ROUND_TRIPS, 64);

	cr_assert_eq(status, 0, "spans, threads: status %d", status);
	status = sides_run(PAIR_THREADS, lib_front, lib_back_span, 8,
			   ROUND_TRIPS, 1);
	cr_assert_eq(status, 0, "span back, threads: status %d", status);
}

Test(ring_concurrent, processes_stream_with_notifications, .timeout = 240)
{
	run(PAIR_PROCESSES, 1, 64);
	run(PAIR_PROCESSES, 2, 3);
	cr_assert_eq(sides_run(PAIR_PROCESSES, lib_front_span, lib_back_span, 2,
			       ROUND_TRIPS, 3),
		     0, "spans, processes");
}

/* Two sides in threads or processes: every element arrives once, in order. */
SDRV_RING_SPSC_DEFINE(u64q, uint64_t);

#define STREAM_ELEMS 4000000ull

struct stream {
	struct sdrv_ring_spsc_shared *shared;
	uint32_t nr;
	uint32_t burst;
};

static int stream_producer(void *arg)
{
	struct stream *s = arg;
	struct sdrv_ring_spsc_prod p;
	uint64_t buf[64], next = 0;

	if (sdrv_ring_spsc_prod_attach(&p, s->shared, s->nr, 8))
		return 1;
	while (next < STREAM_ELEMS) {
		uint32_t n = s->burst;

		if (STREAM_ELEMS - next < n)
			n = (uint32_t)(STREAM_ELEMS - next);
		for (uint32_t i = 0; i < n; i++)
			buf[i] = next + i;
		next += u64q_enqueue_burst(&p, buf, n);
	}
	return 0;
}

static int stream_consumer(void *arg)
{
	struct stream *s = arg;
	struct sdrv_ring_spsc_cons c;
	uint64_t buf[64], expect = 0;

	if (sdrv_ring_spsc_cons_attach(&c, s->shared, s->nr, 8))
		return 1;
	while (expect < STREAM_ELEMS) {
		uint32_t n = u64q_dequeue_burst(&c, buf, s->burst);

		for (uint32_t i = 0; i < n; i++)
			if (buf[i] != expect++)
				return 2;
		if (c.fault)
			return 3;
	}
	return 0;
}

static void stream(enum pair_mode mode, uint32_t burst)
{
	struct stream s = { .nr = 1024, .burst = burst };
	size_t bytes = sdrv_ring_spsc_memsize(s.nr, 8);

	s.shared = pair_shared_alloc(bytes);
	cr_assert_not_null(s.shared);
	cr_assert_eq(sdrv_ring_spsc_init(s.shared, s.nr, 8), 0);
	cr_assert_eq(pair_run(mode, stream_producer, stream_consumer, &s), 0,
		     "%s, burst %u", pair_mode_name(mode), burst);
	pair_shared_free(s.shared, bytes);
}

Test(ring_spsc_concurrent, threads_deliver_every_element_in_order,
     .timeout = 120)
{
	stream(PAIR_THREADS, 1);
	stream(PAIR_THREADS, 32);
}

Test(ring_spsc_concurrent, processes_deliver_every_element_in_order,
     .timeout = 120)
{
	stream(PAIR_PROCESSES, 1);
	stream(PAIR_PROCESSES, 32);
}

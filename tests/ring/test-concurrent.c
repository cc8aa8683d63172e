/* SPDX-License-Identifier: MIT */
/*
 * libring on both sides of the Xen ring, in two threads and two processes,
 * with event-index notifications.  This is the suite the ThreadSanitizer
 * build runs (the interop tests cannot be: Xen's macros use plain accesses
 * with asm barriers, which TSan reports by design).
 */
#include <criterion/criterion.h>

#include "pair.h"
#include "sides.h"

#define ROUND_TRIPS 1000000ull

static void run(enum pair_mode mode, uint32_t pages, uint32_t max_batch)
{
	uint32_t ring_bytes = pages * 4096;
	size_t bytes = sides_shared_size(ring_bytes);
	struct sides_shared *s = pair_shared_alloc(bytes);
	int status;

	cr_assert_not_null(s);
	sides_shared_init(s, ring_bytes, ROUND_TRIPS, max_batch);
	status = pair_run(mode, lib_front, lib_back, s);
	cr_assert_eq(status, 0, "%s, %u page(s), batch %u: status %d",
		     pair_mode_name(mode), pages, max_batch, status);
	pair_shared_free(s, bytes);
}

Test(ring_concurrent, threads_stream_with_notifications, .timeout = 240)
{
	run(PAIR_THREADS, 1, 64);
	run(PAIR_THREADS, 8, 1);
}

Test(ring_concurrent, processes_stream_with_notifications, .timeout = 240)
{
	run(PAIR_PROCESSES, 1, 64);
	run(PAIR_PROCESSES, 2, 3);
}

/* SPDX-License-Identifier: MIT */
/*
 * Interop with code no one here wrote: one side of the ring is Xen's own
 * ring.h macros, the other libring, in both directions, in two threads and
 * in two processes over memfd shared memory; millions of round trips, every
 * request and response payload checked, notifications by the event indices.
 */
#include <criterion/criterion.h>

#include "pair.h"
#include "sides.h"

#define ROUND_TRIPS 2000000ull

static void run(enum pair_mode mode, pair_side_fn front, pair_side_fn back,
		uint32_t pages, uint32_t max_batch, const char *what)
{
	int status = sides_run(mode, front, back, pages, ROUND_TRIPS, max_batch);

	cr_assert_eq(status, 0, "%s, %s, %u page(s), batch %u: status %d",
		     what, pair_mode_name(mode), pages, max_batch, status);
}

Test(ring_interop, xen_front_libring_back_threads, .timeout = 240)
{
	run(PAIR_THREADS, xen_front, lib_back, 1, 64, "Xen front, libring back");
	run(PAIR_THREADS, xen_front, lib_back, 4, 7, "Xen front, libring back");
}

Test(ring_interop, libring_front_xen_back_threads, .timeout = 240)
{
	run(PAIR_THREADS, lib_front, xen_back, 1, 64, "libring front, Xen back");
	run(PAIR_THREADS, lib_front, xen_back, 4, 7, "libring front, Xen back");
}

Test(ring_interop, xen_front_libring_back_processes, .timeout = 240)
{
	run(PAIR_PROCESSES, xen_front, lib_back, 1, 64,
	    "Xen front, libring back");
	run(PAIR_PROCESSES, xen_front, lib_back, 4, 1,
	    "Xen front, libring back");
}

Test(ring_interop, libring_front_xen_back_processes, .timeout = 240)
{
	run(PAIR_PROCESSES, lib_front, xen_back, 1, 64,
	    "libring front, Xen back");
	run(PAIR_PROCESSES, lib_front, xen_back, 4, 1,
	    "libring front, Xen back");
}

Test(ring_interop, spans_against_xens_macros, .timeout = 240)
{
	run(PAIR_THREADS, xen_front, lib_back_span, 1, 64,
	    "Xen front, libring span back");
	run(PAIR_PROCESSES, lib_front_span, xen_back, 4, 7,
	    "libring span front, Xen back");
}

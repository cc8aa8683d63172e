/* SPDX-License-Identifier: MIT */
/*
 * libring's notify decisions equal Xen's macros': a recorded trace
 * (notify-trace.txt, written by record-notify-trace from Xen's macros) is
 * replayed on both; every step's result must equal the recording, and the
 * shared ring header (indices and event indices) must be byte-identical
 * after every step.  Fresh random traces check the same at test time.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "notify_trace.h"

#include "ring_test_util.h"

static struct xen_pair xen;
static struct lib_pair lib;

static void step_both(char op, uint32_t n, unsigned long line,
		      uint32_t *result)
{
	uint32_t x = xen_step(&xen, op, n);
	uint32_t l = lib_step(&lib, op, n);

	cr_assert_eq(l, x, "step %lu '%c %u': libring %u, Xen %u", line, op,
		     n, l, x);
	cr_assert_arr_eq(lib.mem, xen.mem, 16,
			 "step %lu '%c %u': shared indices differ", line, op,
			 n);
	*result = x;
}

Test(ring_notify_trace, recorded_trace_matches_xen_macros)
{
	FILE *trace = fopen(NOTIFY_TRACE_PATH, "r");
	char text[128];
	unsigned long line = 0, steps = 0, notifies = 0;

	cr_assert_not_null(trace, "cannot open %s", NOTIFY_TRACE_PATH);
	xen_pair_init(&xen);
	cr_assert_eq(lib_pair_init(&lib), 0);
	while (fgets(text, sizeof(text), trace)) {
		char op;
		unsigned n, expected;
		uint32_t got;

		line++;
		if (text[0] == '#')
			continue;
		cr_assert_eq(sscanf(text, "%c %u %u", &op, &n, &expected), 3,
			     "line %lu malformed", line);
		step_both(op, n, line, &got);
		cr_assert_eq(got, expected, "line %lu '%c %u': recorded %u, now %u",
			     line, op, n, expected, got);
		steps++;
		notifies += (op == 'p' || op == 'r') && got;
	}
	fclose(trace);
	cr_assert_geq(steps, 1000, "trace too short: %lu steps", steps);
	cr_assert_gt(notifies, 10, "trace never exercised a notification");
	cr_assert_eq(sdrv_ring_front_fault(&lib.f), SDRV_RING_HEALTHY);
	cr_assert_eq(sdrv_ring_back_fault(&lib.b), SDRV_RING_HEALTHY);
}

Test(ring_notify_trace, random_traces_match_xen_macros)
{
	uint64_t rng = 0xC0FFEE;

	for (int trace = 0; trace < 50; trace++) {
		uint32_t got;

		xen_pair_init(&xen);
		cr_assert_eq(lib_pair_init(&lib), 0);
		for (unsigned long i = 0; i < 4000; i++) {
			uint32_t n;
			char op = trace_random_op(test_rand(&rng), &n);

			step_both(op, n, i, &got);
		}
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * Writes a notify trace (see notify_trace.h) to stdout: random steps from a
 * fixed seed and what Xen's macros decided for each.  Its output is committed
 * as tests/ring/notify-trace.txt, which test-notify-trace.c replays.
 *
 *   record-notify-trace [steps] [seed] > notify-trace.txt
 */
#include <stdio.h>
#include <stdlib.h>

#include "notify_trace.h"

static struct xen_pair xen;

int main(int argc, char **argv)
{
	unsigned long steps = argc > 1 ? strtoul(argv[1], NULL, 0) : 5000;
	uint64_t rng = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x7e57c0de;

	xen_pair_init(&xen);
	printf("# notify trace: op n expected (recorded from Xen's ring.h "
	       "macros, seed 0x%llx)\n",
	       (unsigned long long)rng);
	for (unsigned long i = 0; i < steps; i++) {
		uint32_t n;
		char op;

		rng ^= rng >> 12;
		rng ^= rng << 25;
		rng ^= rng >> 27;
		op = trace_random_op(rng * 0x2545F4914F6CDD1Dull, &n);
		printf("%c %u %u\n", op, n, xen_step(&xen, op, n));
	}
	return 0;
}

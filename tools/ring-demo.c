/* SPDX-License-Identifier: MIT */
/*
 * ring-demo - data moving through a Xen shared ring between two processes:
 * a frontend and a backend over memfd shared memory, one side written with
 * Xen's own ring.h macros (libxen-dev) and the other with libring, in every
 * pairing.  Each request and response carries a checked payload; the sides
 * wake each other through the ring's event indices.
 *
 *   ring-demo [round-trips]      (default 1000000)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "msg64.h"
#include "pair.h"
#include "sides.h"

struct pairing {
	const char *front_name, *back_name;
	pair_side_fn front, back;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void show_sample(const struct sides_shared *s)
{
	const struct msg64 *slot = (const void *)(s->ring + SDRV_SRING_HEADER_SIZE);

	printf("    last slot 0: seq %llu, payload %016llx %016llx ...\n",
	       (unsigned long long)slot->w[0], (unsigned long long)slot->w[1],
	       (unsigned long long)slot->w[2]);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ring-demo [ROUND-TRIPS]\n"
		"Data moving through a Xen shared ring between two processes, a\n"
		"frontend and a backend over shared memory: Xen's own ring.h macros\n"
		"against libring, in every pairing, each payload checked.\n"
		"\n"
		"  ROUND-TRIPS     request/response round trips per pairing, 1 to\n"
		"                  1000000000000 (default 1000000)\n"
		"  -h, --help      show this help and exit\n"
		"      --version   show the version and exit\n");
}

int main(int argc, char **argv)
{
	const struct pairing pairings[] = {
		{ "Xen ring.h macros", "libring", xen_front, lib_back },
		{ "libring", "Xen ring.h macros", lib_front, xen_back },
		{ "libring", "libring", lib_front, lib_back },
	};
	uint64_t round_trips = 1000000;
	uint32_t ring_bytes = 4096;
	size_t bytes = sides_shared_size(ring_bytes);
	int failures = 0;

	cli_init(argv[0]);
	cli_standard_options(argc, argv, usage);
	if (argc > 2)
		cli_usage_error("unexpected word '%s' (one ROUND-TRIPS at most)",
				argv[2]);
	if (argc > 1 && argv[1][0] == '-')
		cli_usage_error("unknown option '%s'", argv[1]);
	if (argc > 1)
		round_trips = cli_number("ROUND-TRIPS", argv[1], 1,
					 1000000000000ull);
	printf("ring-demo: %llu request/response round trips per pairing, "
	       "1-page ring (%u slots of 64 B), front and back in two processes\n",
	       (unsigned long long)round_trips,
	       sdrv_ring_nr_slots(ring_bytes, sizeof(struct msg64)));
	for (size_t i = 0; i < sizeof(pairings) / sizeof(pairings[0]); i++) {
		const struct pairing *p = &pairings[i];
		struct sides_shared *s = pair_shared_alloc(bytes);
		double start, secs;
		int status;

		if (!s) {
			fprintf(stderr, "ring-demo: shared memory: %s\n", strerror(errno));
			return 1;
		}
		sides_shared_init(s, ring_bytes, round_trips, 32);
		start = now();
		status = pair_run(PAIR_PROCESSES, p->front, p->back, s);
		secs = now() - start;
		printf("  front %-18s -> back %-18s: ", p->front_name, p->back_name);
		if (status) {
			printf("FAILED (status %d)\n", status);
			failures++;
		} else {
			printf("%llu round trips verified in %.3f s (%.2f M/s)\n",
			       (unsigned long long)round_trips, secs,
			       (double)round_trips / secs / 1e6);
			show_sample(s);
		}
		pair_shared_free(s, bytes);
	}
	return failures ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * bench/ringperf/insn.c - ringperf-insn: round trips in lock step in one
 * thread, to count the instructions each implementation spends per round
 * trip with valgrind --tool=callgrind (bench/ringperf/insn-count.sh).
 * Machine noise does not move the count; it is the data path's work alone.
 *
 *   ringperf-insn WORKLOAD IMPL [ROUNDS]
 *     WORKLOAD: 64B, blkif, netif-tx   IMPL: libring, spans, xen
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitdrv/ring.h>

#define RT_TEMPLATE "insn_template.h"
#include "rt_types.h"

typedef uint64_t (*insn_fn)(unsigned char *ring, size_t bytes, uint64_t rounds);

static const struct {
	const char *workload, *impl;
	insn_fn fn;
} runs[] = {
	{ "64B", "libring", m64_insn_lib },    { "64B", "spans", m64_insn_span },
	{ "64B", "xen", m64_insn_xen },        { "blkif", "libring", blk_insn_lib },
	{ "blkif", "spans", blk_insn_span },   { "blkif", "xen", blk_insn_xen },
	{ "netif-tx", "libring", ntx_insn_lib },
	{ "netif-tx", "spans", ntx_insn_span },
	{ "netif-tx", "xen", ntx_insn_xen },
};

int main(int argc, char **argv)
{
	static _Alignas(4096) unsigned char ring[4096];
	uint64_t rounds = argc > 3 ? strtoull(argv[3], NULL, 10) : 10000, done;

	if (argc < 3 || !strcmp(argv[1], "--help")) {
		fprintf(argc < 3 ? stderr : stdout,
			"Usage: ringperf-insn WORKLOAD IMPL [ROUNDS]\n"
			"Round trips over a 1-page ring in lock step in one thread, for\n"
			"callgrind's instruction counts.  WORKLOAD: 64B, blkif, netif-tx;\n"
			"IMPL: libring, spans, xen.\n");
		return argc < 3 ? 2 : 0;
	}
	for (unsigned i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		if (strcmp(argv[1], runs[i].workload) || strcmp(argv[2], runs[i].impl))
			continue;
		done = runs[i].fn(ring, sizeof(ring), rounds);
		if (!done) {
			fprintf(stderr, "ringperf-insn: %s %s: a check failed\n",
				argv[1], argv[2]);
			return 1;
		}
		printf("%s %s: %llu round trips\n", argv[1], argv[2],
		       (unsigned long long)done);
		return 0;
	}
	fprintf(stderr, "ringperf-insn: no workload '%s' with '%s' (see --help)\n",
		argv[1], argv[2]);
	return 2;
}

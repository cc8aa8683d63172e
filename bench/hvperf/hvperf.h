/* SPDX-License-Identifier: MIT */
/*
 * bench/hvperf/hvperf.h - grant table and event channel benchmarks.
 *
 * Every measurement runs in a platform environment (in-process, or a real
 * hv-stub daemon with this process attached as dom0 and as a guest) and
 * returns one repetition's figure; main.c interleaves each with its peer
 * (memcpy, mmap+munmap, raw eventfd) and prints the ratio.
 */
#ifndef HVPERF_H
#define HVPERF_H

#include <stdint.h>
#include <sys/types.h>

#include <splitdrv/platform.h>

#include "inproc.h"

struct hvperf_env {
	const char *name; /* "in-process", "hv-stub" */
	struct sdrv_platform *dom0, *domu; /* domu is domain 1 */
	struct sdrv_inproc_hv *ih; /* in-process only */
	pid_t daemon; /* hv-stub only */
	char dir[64]; /* hv-stub's socket and log */
};

/* Return: 0, or -1 having said why on stderr. */
int env_open_inproc(struct hvperf_env *e);
int env_open_hvstub(struct hvperf_env *e);
void env_close(struct hvperf_env *e);

/* Pages both sides use: dom0's sources, the guest's destinations granted to
 * dom0 (refs), set up once per environment. */
#define HVPERF_PAGES 64u
struct copy_set {
	unsigned char *src[HVPERF_PAGES]; /* dom0's */
	unsigned char *dst[HVPERF_PAGES]; /* the guest's */
	sdrv_grant_ref_t ref[HVPERF_PAGES];
};
int copy_set_init(struct hvperf_env *e, struct copy_set *cs);

/* Grant copy of @bytes in 4 KiB segments, @batch per call: GB/s. */
double grant_copy_gbps(struct hvperf_env *e, struct copy_set *cs,
		       unsigned batch, uint64_t bytes);
/* memcpy of the same pages in the same order: GB/s. */
double memcpy_gbps(struct copy_set *cs, uint64_t bytes);
/* Grant map + unmap pairs, @batch per call, @n pairs: per second. */
double grant_map_rate(struct hvperf_env *e, struct copy_set *cs,
		      unsigned batch, uint64_t n);
/* mmap + munmap of a shared (memfd) page, @n pairs: per second. */
double mmap_rate(uint64_t n);

/* Event channel ping-pong between dom0 and the guest, one thread each,
 * blocking waits: mean round trip in microseconds over @n. */
double evtchn_round_trip_us(struct hvperf_env *e, uint64_t n);
/* The same over two raw eventfds with blocking reads. */
double eventfd_round_trip_us(uint64_t n);

#endif

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

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <splitdrv/platform.h>

#include "inproc.h"

/*
 * Three ways the same copies are made:
 *   in-process  hv-stub's core in this process (a hypercall is a call);
 *   backend     hv-stub process domains, dom0 copying in its own process
 *               (the backend fast path: no message per copy);
 *   checked     hv-stub process domains, an unprivileged domain copying
 *               through hv-stub's checked messages.
 */
struct hvperf_env {
	const char *name; /* "in-process", "backend", "checked" */
	struct sdrv_platform *dom0, *domu; /* domu is domain 1, the guest */
	/* who copies (dom0, or unprivileged domain 2 in "checked") */
	struct sdrv_platform *copier, *dom2;
	/* domain 3, a guest that floods dom0 (the notify-beside-a-flood row) */
	struct sdrv_platform *flooder;
	sdrv_domid_t copier_id;
	bool can_map; /* the copier is privileged */
	struct sdrv_inproc_hv *ih; /* in-process only */
	pid_t daemon; /* hv-stub only */
	char dir[64]; /* hv-stub's socket and log */
};

/* Return: 0, or -1 having said why on stderr.  @checked: the copier is
 * an unprivileged domain. */
int env_open_inproc(struct hvperf_env *e);
int env_open_hvstub(struct hvperf_env *e, bool checked);
void env_close(struct hvperf_env *e);

/* Pages both sides use: the copier's sources, the guest's destinations
 * granted to the copier (refs), set up once per environment. */
#define HVPERF_PAGES 64u
struct copy_set {
	unsigned char *src[HVPERF_PAGES]; /* the copier's */
	unsigned char *dst[HVPERF_PAGES]; /* the guest's */
	sdrv_grant_ref_t ref[HVPERF_PAGES];
	/* the guest's memory as a vhost-user back end sees it: regions of
	 * guest-physical addresses mapped at host addresses */
	unsigned char *guest_mem;
	uint32_t guest_frames;
};
int copy_set_init(struct hvperf_env *e, struct copy_set *cs);

/* Grant copy of @bytes in 4 KiB segments, @batch per call: GB/s. */
double grant_copy_gbps(struct hvperf_env *e, struct copy_set *cs,
		       unsigned batch, uint64_t bytes);
/* memcpy of the same pages in the same order: GB/s. */
double memcpy_gbps(struct copy_set *cs, uint64_t bytes);

/* A packet batch: 64-byte pieces out of HVPERF_PIECES different grants
 * per call into the copier's pages, @n pieces: ns per piece. */
#define HVPERF_PIECES 32u
double grant_pieces_ns(struct hvperf_env *e, struct copy_set *cs, uint64_t n);
/* The same pieces as a vhost-user back end copies them: each guest
 * address translated through a memory-region table, then memcpy. */
double vhost_pieces_ns(struct copy_set *cs, uint64_t n);
/* Grant map + unmap pairs, @batch per call, @n pairs: per second. */
double grant_map_rate(struct hvperf_env *e, struct copy_set *cs,
		      unsigned batch, uint64_t n);
/* mmap + munmap of a shared (memfd) page, @n pairs: per second. */
double mmap_rate(uint64_t n);

/* Event channel ping-pong between dom0 and the guest, one thread each,
 * blocking waits: mean round trip in microseconds over @n.  @flooded:
 * another guest (domain 3) meanwhile notifies dom0 about 100,000 times a
 * second, which dom0 finds nothing to do for (late EOI holds it back). */
double evtchn_round_trip_us(struct hvperf_env *e, uint64_t n, bool flooded);
/* The same over two raw eventfds with blocking reads. */
double eventfd_round_trip_us(uint64_t n);

#endif

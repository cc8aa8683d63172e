/* SPDX-License-Identifier: MIT */
/* bench/ringperf/rt.c - round-trip workloads and their runners. */
#define _GNU_SOURCE
#include "rt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <splitdrv/blkif.h>
#include <splitdrv/netif.h>

#include "timing.h"
#include "xen_peer.h"

/*
 * The wait policy of every side, once the ring had nothing for it: true to
 * poll again (busy-poll, or spin-sleep within its budget), false to do the
 * final check and sleep on the eventfd.
 */
static inline bool keep_polling(const struct rt_shared *s, uint32_t *spins)
{
	if (s->mode == NOTIFY_BUSY ||
	    (s->mode == NOTIFY_SPIN_SLEEP && ++*spins < SPIN_BUDGET)) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		return true;
	}
	*spins = 0;
	return false;
}

/* The idle test (rt_idle_cpu()): before its last request the front leaves
 * the back with nothing to do for idle_gap_ms. */
static inline void idle_gap(const struct rt_shared *s, uint64_t sent,
			    uint64_t received)
{
	if (s->idle_gap_ms && received == s->count - 1 && sent == received) {
		struct timespec gap = {
			.tv_sec = s->idle_gap_ms / 1000,
			.tv_nsec = (s->idle_gap_ms % 1000) * 1000000L,
		};

		nanosleep(&gap, NULL);
	}
}

/* What libring's sides (classic and spans) do after a pass: publish (and
 * notify if asked), or, with nothing to do, poll or check and sleep. */
static inline void lib_front_publish(const struct rt_shared *s,
				     struct sdrv_ring_front *f)
{
	if (s->mode == NOTIFY_BUSY)
		sdrv_ring_front_publish(f);
	else if (sdrv_ring_front_push(f))
		evt_notify(s->efd_to_back);
}

static inline void lib_back_publish(const struct rt_shared *s,
				    struct sdrv_ring_back *b)
{
	if (s->mode == NOTIFY_BUSY)
		sdrv_ring_back_publish(b);
	else if (sdrv_ring_back_push(b))
		evt_notify(s->efd_to_front);
}

static inline void lib_front_idle(const struct rt_shared *s,
				  struct sdrv_ring_front *f, uint32_t *spins)
{
	if (!keep_polling(s, spins) && !sdrv_ring_front_final_check(f))
		evt_wait(s->efd_to_front);
}

static inline void lib_back_idle(const struct rt_shared *s,
				 struct sdrv_ring_back *b, uint32_t *spins)
{
	if (!keep_polling(s, spins) && !sdrv_ring_back_final_check(b))
		evt_wait(s->efd_to_back);
}

#define RT_TEMPLATE "rt_template.h"
#include "rt_types.h"

const struct rt_workload rt_workloads[] = {
	{ "64B", { "libring", m64_lib_front, m64_lib_back },
	  { "Xen ring.h", m64_xen_front, m64_xen_back },
	  { "libring spans", m64_span_front, m64_span_back } },
	{ "blkif", { "libring", blk_lib_front, blk_lib_back },
	  { "Xen ring.h", blk_xen_front, blk_xen_back },
	  { "libring spans", blk_span_front, blk_span_back } },
	{ "netif-tx", { "libring", ntx_lib_front, ntx_lib_back },
	  { "Xen ring.h", ntx_xen_front, ntx_xen_back },
	  { "libring spans", ntx_span_front, ntx_span_back } },
};
const unsigned rt_nr_workloads = sizeof(rt_workloads) / sizeof(rt_workloads[0]);

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One run: shared memory, eventfds, the pair; the shared block is left in
 * *out for the caller to read and free. */
static int run(const struct rt_impl *impl, enum pair_mode pm, uint32_t pages,
	       enum notify_mode nm, uint64_t count, uint32_t max_in_flight,
	       uint64_t *samples, uint32_t idle_gap_ms, struct rt_shared **out,
	       size_t *out_bytes)
{
	uint32_t ring_bytes = pages * 4096;
	size_t bytes = sizeof(struct rt_shared) + ring_bytes;
	struct rt_shared *s = pair_shared_alloc(bytes);
	int status;

	if (!s)
		return -errno;
	s->count = count;
	s->ring_bytes = ring_bytes;
	s->mode = nm;
	s->max_in_flight = max_in_flight;
	s->idle_gap_ms = idle_gap_ms;
	s->samples = samples;
	s->efd_to_back = eventfd(0, EFD_CLOEXEC);
	s->efd_to_front = eventfd(0, EFD_CLOEXEC);
	sdrv_ring_sring_init(s->ring, ring_bytes);
	status = pair_run(pm, impl->front, impl->back, s);
	close(s->efd_to_back);
	close(s->efd_to_front);
	if (status) {
		pair_shared_free(s, bytes);
		return status;
	}
	*out = s;
	*out_bytes = bytes;
	return 0;
}

int rt_stream(const struct rt_impl *impl, enum pair_mode pm, uint32_t pages,
	      enum notify_mode nm, uint64_t count, struct rt_result *res)
{
	struct rt_shared *s = NULL;
	size_t bytes = 0;
	int status = run(impl, pm, pages, nm, count, UINT32_MAX, NULL, 0, &s,
			 &bytes);

	if (status)
		return status;
	res->per_sec = (double)count * 1e9 / (double)s->elapsed_ns;
	pair_shared_free(s, bytes);
	return 0;
}

int rt_latency(const struct rt_impl *impl, enum pair_mode pm,
	       enum notify_mode nm, uint64_t count, struct rt_result *res)
{
	uint64_t *samples = calloc(count, sizeof(*samples));
	struct rt_shared *s = NULL;
	size_t bytes = 0;
	int status;

	if (!samples)
		return -ENOMEM;
	status = run(impl, pm, 1, nm, count, 1, samples, 0, &s, &bytes);
	if (status == 0) {
		/* The first tenth warms caches and the branch predictor. */
		uint64_t skip = count / 10, n = count - skip;

		qsort(samples + skip, n, sizeof(*samples), cmp_u64);
		res->median_ns = (double)samples[skip + n / 2] * ns_per_tick();
		res->p99_ns = (double)samples[skip + n * 99 / 100] * ns_per_tick();
		res->per_sec = (double)count * 1e9 / (double)s->elapsed_ns;
		pair_shared_free(s, bytes);
	}
	free(samples);
	return status;
}

int rt_idle_cpu(const struct rt_impl *impl, enum notify_mode nm,
		uint32_t gap_ms, struct rt_result *res)
{
	struct rt_shared *s = NULL;
	size_t bytes = 0;
	int status = run(impl, PAIR_THREADS, 1, nm, 1000, 1, NULL, gap_ms, &s,
			 &bytes);

	if (status)
		return status;
	res->idle_cpu = (double)s->back_cpu_ns / (double)s->elapsed_ns;
	pair_shared_free(s, bytes);
	return 0;
}

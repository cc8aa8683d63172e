/* SPDX-License-Identifier: MIT */
/*
 * bench/ringperf/notify.h - how a side waits when its ring is empty, and
 * the eventfd that stands in for an event channel (one per direction,
 * created before fork so processes share it).
 *
 *   busy:        never sleep; producers publish without the event check
 *   eventfd:     final check, then sleep in read() until notified
 *   spin-sleep:  poll the ring for a while (SPIN_BUDGET), then final check
 *                and sleep: busy-poll speed under load, no CPU when idle
 */
#ifndef RINGPERF_NOTIFY_H
#define RINGPERF_NOTIFY_H

#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum notify_mode { NOTIFY_BUSY, NOTIFY_EVENTFD, NOTIFY_SPIN_SLEEP };

/* Polls of an empty ring before sleeping in spin-sleep mode: about the cost
 * of one eventfd wake-up (~40 µs here) spent spinning, as adaptive
 * polling in NAPI or DPDK's power management does. */
#define SPIN_BUDGET 20000u

static inline const char *notify_mode_name(enum notify_mode m)
{
	return m == NOTIFY_BUSY ? "busy-poll"
	       : m == NOTIFY_EVENTFD ? "eventfd" : "spin-sleep";
}

static inline void evt_notify(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		return; /* counter saturated: the peer is awake anyway */
}

static inline void evt_wait(int efd)
{
	uint64_t count;

	if (read(efd, &count, sizeof(count)) != sizeof(count))
		return; /* EINTR: the caller re-checks the ring */
}

#endif

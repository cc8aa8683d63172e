/* SPDX-License-Identifier: MIT */
/*
 * support/spin_event.h - an "event channel" in shared memory for tests: a
 * counter the notifier bumps and the waiter spins on.  It has no timeout on
 * purpose: a notification wrongly suppressed by the ring's event indices
 * leaves the waiter spinning, and the test's timeout reports the lost
 * wake-up.
 */
#ifndef SUPPORT_SPIN_EVENT_H
#define SUPPORT_SPIN_EVENT_H

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

struct spin_event {
	_Alignas(64) _Atomic uint64_t count;
};

static inline void spin_event_notify(struct spin_event *ev)
{
	atomic_fetch_add_explicit(&ev->count, 1, memory_order_seq_cst);
}

/* Take a snapshot before the final check, wait for a change after it. */
static inline uint64_t spin_event_snapshot(struct spin_event *ev)
{
	return atomic_load_explicit(&ev->count, memory_order_seq_cst);
}

static inline void spin_event_wait(struct spin_event *ev, uint64_t snapshot)
{
	while (atomic_load_explicit(&ev->count, memory_order_acquire) ==
	       snapshot)
		sched_yield();
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * grant/grant_pin.c - pin and unpin a grant entry (see grant_pin.h).
 *
 * The flags|domid word of an entry is read once, checked, and updated with
 * a compare-and-swap against that very value: if the granter changed
 * anything in between, the swap fails and the checks run again on the new
 * value.  The granter's lock is held across "count, then mark or clear the
 * entry" so that two pinners (hv-stub and a backend) never interleave a
 * first pin with a last unpin.
 */
#include "grant_pin.h"

int sdrv_gnt_pin_take(const struct sdrv_gnt_granter *g, sdrv_domid_t caller,
		      uint32_t token, struct sdrv_gnt_pin *pin)
{
	int st;

	sdrv_gnt_lock(g, token);
	st = sdrv_gnt_pin_take_locked(g, caller, pin);
	sdrv_gnt_unlock(g);
	return st;
}

void sdrv_gnt_pin_drop(const struct sdrv_gnt_granter *g, uint32_t token,
		       struct sdrv_gnt_pin *pin)
{
	sdrv_gnt_lock(g, token);
	sdrv_gnt_pin_drop_locked(g, pin);
	sdrv_gnt_unlock(g);
}

uint32_t sdrv_gnt_pin_count(const struct sdrv_gnt_granter *g, uint32_t ref)
{
	const struct sdrv_gnt_active *act = &g->active[ref];

	return (uint32_t)__atomic_load_n(&act->readers, __ATOMIC_RELAXED) +
	       __atomic_load_n(&act->writers, __ATOMIC_RELAXED);
}

/*
 * The pin or unpin a dead lock holder was inside.  A take that counted
 * leaves a pin to drop (its record becomes HELD, dropped below with the
 * rest); one that did not leaves nothing.  A drop that uncounted owes
 * nothing more; one that did not is still a pin to drop.
 */
static void resolve_in_flight(const struct sdrv_gnt_granter *g,
			      sdrv_domid_t granter, uint64_t generation,
			      struct sdrv_gnt_pin *log, unsigned n)
{
	struct sdrv_gnt_journal *j = &g->shared->journal;
	const struct sdrv_gnt_active *act;
	bool counted;

	if (j->op == SDRV_GNT_JOURNAL_NONE || j->ref >= g->nr_entries) {
		j->op = SDRV_GNT_JOURNAL_NONE;
		return;
	}
	act = &g->active[j->ref];
	counted = act->readers != j->readers_before ||
		  act->writers != j->writers_before;
	for (unsigned i = 0; i < n; i++) {
		struct sdrv_gnt_pin *p = &log[i];
		bool owed;

		if (p->granter != granter || p->generation != generation ||
		    p->ref != j->ref ||
		    (p->state != SDRV_GNT_PIN_TAKING &&
		     p->state != SDRV_GNT_PIN_DROPPING))
			continue;
		owed = p->state == SDRV_GNT_PIN_TAKING ? counted : !counted;
		p->state = owed ? SDRV_GNT_PIN_HELD : SDRV_GNT_PIN_FREE;
	}
	j->op = SDRV_GNT_JOURNAL_NONE;
}

unsigned sdrv_gnt_pin_recover(const struct sdrv_gnt_granter *g,
			      sdrv_domid_t granter, uint64_t generation,
			      uint32_t token, struct sdrv_gnt_pin *log,
			      unsigned n)
{
	unsigned undone = 0;
	uint32_t held = token;

	/* Its holder is dead: take the lock over, else wait for it. */
	if (__atomic_compare_exchange_n(&g->shared->lock, &held, token, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		/* It died inside a pin or an unpin: the journal says
		 * whether the count changed, and so what its record (the
		 * one TAKING or DROPPING) still owes. */
		resolve_in_flight(g, granter, generation, log, n);
		/* Entries it was marking or clearing are made to agree
		 * with their counts. */
		for (uint32_t ref = 0; ref < g->nr_entries; ref++) {
			const struct sdrv_gnt_active *act = &g->active[ref];
			uint16_t clear = 0;

			if (act->writers == 0)
				clear |= SDRV_GTF_writing;
			if (act->readers + act->writers == 0)
				clear |= SDRV_GTF_reading;
			sdrv_gnt__clear_flags(g, ref, clear);
		}
		undone++;
	} else {
		sdrv_gnt_lock(g, token);
	}
	for (unsigned i = 0; i < n; i++) {
		struct sdrv_gnt_pin p = log[i]; /* one read of the dead's log */

		if (p.state != SDRV_GNT_PIN_HELD || p.granter != granter ||
		    p.generation != generation)
			continue;
		sdrv_gnt_pin_drop_locked(g, &p);
		log[i].state = SDRV_GNT_PIN_FREE;
		undone++;
	}
	sdrv_gnt_unlock(g);
	return undone;
}

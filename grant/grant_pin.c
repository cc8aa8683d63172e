/* SPDX-License-Identifier: MIT */
/*
 * grant/grant_pin.c - pin and unpin a grant entry (see grant_pin.h).
 *
 * The flags|domid word of an entry is read once, checked, and updated with
 * a compare-and-swap against that very value: if the granter changed
 * anything in between, the swap fails and the checks run again on the new
 * value.  The active record's lock is held across "count, then mark or
 * clear the entry" so that two pinners (hv-stub and a backend) never
 * interleave a first pin with a last unpin.
 */
#include "grant_pin.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the flags|domid word below assumes little-endian"
#endif

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* The lock is held for a few dozen instructions by trusted code; a holder
 * that dies inside is undone by sdrv_gnt_pin_break_locks(). */
static void active_lock(struct sdrv_gnt_active *a, uint32_t token)
{
	for (;;) {
		uint32_t free = 0;

		/* pairs with the release in active_unlock() */
		if (__atomic_compare_exchange_n(&a->lock, &free, token, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		while (__atomic_load_n(&a->lock, __ATOMIC_RELAXED))
			cpu_relax();
	}
}

static void active_unlock(struct sdrv_gnt_active *a)
{
	/* pairs with the acquire in active_lock() */
	__atomic_store_n(&a->lock, 0, __ATOMIC_RELEASE);
}

/* Flags and domid as one word: flags in bits 0-15, domid in 16-31. */
static uint32_t *entry_word(const struct sdrv_gnt_granter *g, uint32_t ref)
{
	return (uint32_t *)(void *)&g->entries[ref];
}

static void clear_flags(const struct sdrv_gnt_granter *g, uint32_t ref,
			uint16_t bits)
{
	/* pairs with the acquire in sdrv_gnttab_end_access() */
	__atomic_fetch_and(&g->entries[ref].flags, (uint16_t)~bits,
			   __ATOMIC_RELEASE);
}

/* Check the entry for @caller and mark it with @want; active lock held. */
static int mark_entry(const struct sdrv_gnt_granter *g, sdrv_domid_t caller,
		      uint32_t ref, bool readonly, uint32_t want)
{
	uint32_t *word = entry_word(g, ref);
	uint32_t old = __atomic_load_n(word, __ATOMIC_ACQUIRE);

	for (unsigned tries = 0; tries < SDRV_GNT_PIN_RETRIES; tries++) {
		uint16_t flags = (uint16_t)old, domid = (uint16_t)(old >> 16);

		if ((flags & SDRV_GTF_type_mask) != SDRV_GTF_permit_access ||
		    domid != caller)
			return SDRV_GNTST_general_error;
		if (!readonly && (flags & SDRV_GTF_readonly))
			return SDRV_GNTST_permission_denied;
		/* pairs with the release in sdrv_gnttab_grant_access() */
		if (__atomic_compare_exchange_n(word, &old, old | want, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return SDRV_GNTST_okay;
	}
	return SDRV_GNTST_eagain; /* the granter keeps rewriting it */
}

int sdrv_gnt_pin_take(const struct sdrv_gnt_granter *g, sdrv_domid_t caller,
		      uint32_t token, struct sdrv_gnt_pin *pin)
{
	struct sdrv_gnt_active *act;
	uint32_t want;
	int st;

	if (pin->ref >= g->nr_entries)
		return SDRV_GNTST_bad_gntref;
	act = &g->active[pin->ref];
	want = pin->readonly ? SDRV_GTF_reading
			     : SDRV_GTF_reading | SDRV_GTF_writing;
	__atomic_store_n(&pin->state, SDRV_GNT_PIN_TAKING, __ATOMIC_RELAXED);
	active_lock(act, token);
	/* pairs with the release in hv-stub's destroy */
	if (g->dead && __atomic_load_n(g->dead, __ATOMIC_ACQUIRE)) {
		st = SDRV_GNTST_bad_domain;
		goto out;
	}
	if ((pin->readonly ? act->readers : act->writers) >= SDRV_GNT_PIN_MAX) {
		st = SDRV_GNTST_no_space; /* a wrapped count would free it */
		goto out;
	}
	/* Every pin checks the entry, not only the first: each pinner must
	 * itself be the grantee, and a writer needs a writable grant. */
	st = mark_entry(g, caller, pin->ref, pin->readonly, want);
	if (st != SDRV_GNTST_okay)
		goto out;
	if (act->readers + act->writers == 0) {
		/* First pin: take the frame now and keep it for all. */
		uint32_t frame = __atomic_load_n(&g->entries[pin->ref].frame,
						 __ATOMIC_RELAXED);

		if (frame < g->first_frame || frame >= g->nr_frames) {
			clear_flags(g, pin->ref, (uint16_t)want);
			st = SDRV_GNTST_bad_page;
			goto out;
		}
		act->frame = frame;
		act->mapper = caller;
	}
	if (pin->readonly)
		act->readers++;
	else
		act->writers++;
	pin->frame = act->frame;
out:
	__atomic_store_n(&pin->state,
			 st == SDRV_GNTST_okay ? SDRV_GNT_PIN_HELD : SDRV_GNT_PIN_FREE,
			 __ATOMIC_RELAXED);
	active_unlock(act);
	return st;
}

void sdrv_gnt_pin_drop(const struct sdrv_gnt_granter *g, uint32_t token,
		       struct sdrv_gnt_pin *pin)
{
	struct sdrv_gnt_active *act;

	if (pin->ref >= g->nr_entries)
		return;
	act = &g->active[pin->ref];
	active_lock(act, token);
	if (pin->readonly && act->readers)
		act->readers--;
	else if (!pin->readonly && act->writers)
		act->writers--;
	if (act->writers == 0)
		clear_flags(g, pin->ref,
			    act->readers ? SDRV_GTF_writing
					 : SDRV_GTF_writing | SDRV_GTF_reading);
	__atomic_store_n(&pin->state, SDRV_GNT_PIN_FREE,
			 __ATOMIC_RELAXED);
	active_unlock(act);
}

uint32_t sdrv_gnt_pin_count(const struct sdrv_gnt_granter *g, uint32_t ref)
{
	const struct sdrv_gnt_active *act = &g->active[ref];

	return (uint32_t)__atomic_load_n(&act->readers, __ATOMIC_RELAXED) +
	       __atomic_load_n(&act->writers, __ATOMIC_RELAXED);
}

/* Make the entry's in-use flags say what the counts say; lock held. */
static void normalize_flags(const struct sdrv_gnt_granter *g, uint32_t ref)
{
	const struct sdrv_gnt_active *act = &g->active[ref];
	uint16_t clear = 0;

	if (act->writers == 0)
		clear |= SDRV_GTF_writing;
	if (act->readers + act->writers == 0)
		clear |= SDRV_GTF_reading;
	if (clear)
		clear_flags(g, ref, clear);
}

unsigned sdrv_gnt_pin_recover(const struct sdrv_gnt_granter *g,
			      sdrv_domid_t granter, uint64_t generation,
			      uint32_t token, struct sdrv_gnt_pin *log,
			      unsigned n)
{
	unsigned undone = 0;

	for (uint32_t ref = 0; ref < g->nr_entries; ref++) {
		uint32_t held = token;

		/* Its holder is dead: take the lock over, then repair. */
		if (__atomic_compare_exchange_n(&g->active[ref].lock, &held,
						token, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			normalize_flags(g, ref);
			active_unlock(&g->active[ref]);
			undone++;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct sdrv_gnt_pin p = log[i]; /* one read of the dead's log */

		if (p.state != SDRV_GNT_PIN_HELD || p.granter != granter ||
		    p.generation != generation)
			continue;
		sdrv_gnt_pin_drop(g, token, &p);
		log[i].state = SDRV_GNT_PIN_FREE;
		undone++;
	}
	return undone;
}

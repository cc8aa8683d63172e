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

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the flags|domid word below assumes little-endian"
#endif

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Held for a few dozen instructions per pin by trusted code; a holder
 * that dies inside is undone by sdrv_gnt_pin_recover(). */
void sdrv_gnt_lock(const struct sdrv_gnt_granter *g, uint32_t token)
{
	uint32_t *lock = &g->shared->lock;

	for (;;) {
		uint32_t free = 0;

		/* pairs with the release in sdrv_gnt_unlock() */
		if (__atomic_compare_exchange_n(lock, &free, token, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		while (__atomic_load_n(lock, __ATOMIC_RELAXED))
			cpu_relax();
	}
}

void sdrv_gnt_unlock(const struct sdrv_gnt_granter *g)
{
	/* pairs with the acquire in sdrv_gnt_lock() */
	__atomic_store_n(&g->shared->lock, 0, __ATOMIC_RELEASE);
}

/* Flags and domid as one word: flags in bits 0-15, domid in 16-31. */
static uint32_t *entry_word(const struct sdrv_gnt_granter *g, uint32_t ref)
{
	return (uint32_t *)(void *)&g->entries[ref];
}

/*
 * Clear in-use @bits of the entry.  A plain store of what was read, not a
 * locked and-not: a granter never writes the flags of an entry in use (it
 * waits for the bits to clear, as end of access does), so the only write
 * this can lose is a hostile granter's to its own entry.  Lock held.
 */
static void clear_flags(const struct sdrv_gnt_granter *g, uint32_t ref,
			uint16_t bits)
{
	uint16_t *flags = &g->entries[ref].flags;
	uint16_t now = __atomic_load_n(flags, __ATOMIC_RELAXED);

	/* pairs with the acquire in sdrv_gnttab_end_access() */
	if (now & bits)
		__atomic_store_n(flags, (uint16_t)(now & ~bits), __ATOMIC_RELEASE);
}

/* Check the entry for @caller and mark it with @want; lock held. */
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

int sdrv_gnt_pin_take_locked(const struct sdrv_gnt_granter *g,
			     sdrv_domid_t caller, struct sdrv_gnt_pin *pin)
{
	struct sdrv_gnt_active *act;
	uint32_t want = pin->readonly ? SDRV_GTF_reading
				      : SDRV_GTF_reading | SDRV_GTF_writing;
	int st;

	pin->state = SDRV_GNT_PIN_FREE;
	/* pairs with the release in hv-stub's destroy */
	if (__atomic_load_n(&g->shared->dead, __ATOMIC_ACQUIRE))
		return SDRV_GNTST_bad_domain;
	if (pin->ref >= g->nr_entries)
		return SDRV_GNTST_bad_gntref;
	act = &g->active[pin->ref];
	if ((pin->readonly ? act->readers : act->writers) >= SDRV_GNT_PIN_MAX)
		return SDRV_GNTST_no_space; /* a wrapped count would free it */
	/* Every pin checks the entry, not only the first: each pinner must
	 * itself be the grantee, and a writer needs a writable grant. */
	st = mark_entry(g, caller, pin->ref, pin->readonly, want);
	if (st != SDRV_GNTST_okay)
		return st;
	if (act->readers + act->writers == 0) {
		/* First pin: take the frame now and keep it for all. */
		uint32_t frame = __atomic_load_n(&g->entries[pin->ref].frame,
						 __ATOMIC_RELAXED);

		if (frame < g->first_frame || frame >= g->nr_frames) {
			clear_flags(g, pin->ref, (uint16_t)want);
			return SDRV_GNTST_bad_page;
		}
		act->frame = frame;
		act->mapper = caller;
	}
	if (pin->readonly)
		act->readers++;
	else
		act->writers++;
	pin->frame = act->frame;
	/* Counted: from here hv-stub undoes it if we die (same lock). */
	__atomic_store_n(&pin->state, SDRV_GNT_PIN_HELD, __ATOMIC_RELAXED);
	return SDRV_GNTST_okay;
}

void sdrv_gnt_pin_drop_locked(const struct sdrv_gnt_granter *g,
			      struct sdrv_gnt_pin *pin)
{
	struct sdrv_gnt_active *act;

	if (pin->ref >= g->nr_entries)
		return;
	act = &g->active[pin->ref];
	if (pin->readonly && act->readers)
		act->readers--;
	else if (!pin->readonly && act->writers)
		act->writers--;
	if (act->writers == 0)
		clear_flags(g, pin->ref,
			    act->readers ? SDRV_GTF_writing
					 : SDRV_GTF_writing | SDRV_GTF_reading);
	__atomic_store_n(&pin->state, SDRV_GNT_PIN_FREE, __ATOMIC_RELAXED);
}

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
		/* It died inside: entries it was marking or clearing are
		 * made to agree with their counts. */
		for (uint32_t ref = 0; ref < g->nr_entries; ref++) {
			const struct sdrv_gnt_active *act = &g->active[ref];
			uint16_t clear = 0;

			if (act->writers == 0)
				clear |= SDRV_GTF_writing;
			if (act->readers + act->writers == 0)
				clear |= SDRV_GTF_reading;
			clear_flags(g, ref, clear);
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

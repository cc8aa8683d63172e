/* SPDX-License-Identifier: MIT */
/*
 * grant/grant_pin.h - Xen's pin protocol on a granter's grant entries: the
 * one implementation of the checks that make a mapping or a copy of a
 * grant safe, used by hv-stub's core (maps, and copies for unprivileged
 * domains), by the in-process environment through that core, and by a
 * privileged backend that copies out of a guest's memory itself.
 *
 * Two tables take part:
 * - the granter's grant entries, in the granter's own memory, which the
 *   granter rewrites at any moment: read as one flags|domid word, checked,
 *   and marked GTF_reading/GTF_writing with a compare-and-swap against
 *   exactly the word that was checked;
 * - one active record per entry (struct sdrv_gnt_active), shared only by
 *   the trusted parties (hv-stub and the privileged domains it hands them
 *   to; never the granter): how many pins read and write the entry, and the
 *   frame the first pin took.
 * One lock per granter, in the shared table's header, makes "count the
 * pin, then mark or clear the entry" one step for everyone, whichever
 * process pins.  It is per granter, not per entry, so that a batch takes it
 * once for all its segments of that granter: a locked instruction costs
 * about a fifth of a 4 KiB copy here, and a per-entry lock cost four per
 * segment where this costs one.
 *
 * A pin that the granter's rewriting keeps failing gives up after
 * SDRV_GNT_PIN_RETRIES (as Xen does); a count never passes
 * SDRV_GNT_PIN_MAX (Xen refuses at 128 per kind; a wrapped count would let
 * the granter end access under live mappings).
 *
 * Freestanding: atomics only.
 */
#ifndef SDRV_GRANT_PIN_H
#define SDRV_GRANT_PIN_H

#include <stdbool.h>
#include <stdint.h>

#include <splitdrv/grant.h>

#define SDRV_GNT_PIN_RETRIES 4u
#define SDRV_GNT_PIN_MAX 0x7fffu

/* One grant entry's pins, in memory shared by the trusted parties. */
struct sdrv_gnt_active {
	uint16_t readers, writers; /* pins, at most SDRV_GNT_PIN_MAX each */
	uint32_t frame; /* taken by the first pin, kept while pinned */
	sdrv_domid_t mapper; /* who made the first pin (for hvctl show) */
	uint16_t pad[3];
};
SDRV_STATIC_ASSERT(sizeof(struct sdrv_gnt_active) == 16, "active record");

/*
 * The shared table of one granter incarnation (a memfd hv-stub creates
 * with the domain): this header, then one record per grant entry.
 * hv-stub sets @dead when it destroys the domain; a pin taken after that
 * fails, and a backend holding a view of the domain drops it.
 */
/*
 * What the lock's holder is changing, written before it touches a count:
 * if it dies holding the lock, the one who takes the lock over
 * (sdrv_gnt_pin_recover()) compares the counts with these to tell whether
 * the count changed, so that the pin in flight is undone exactly once.
 */
struct sdrv_gnt_journal {
	uint32_t ref;
	uint16_t readers_before, writers_before;
	uint8_t op; /* SDRV_GNT_JOURNAL_* */
	uint8_t pad[7];
};
#define SDRV_GNT_JOURNAL_NONE 0
#define SDRV_GNT_JOURNAL_TAKE 1
#define SDRV_GNT_JOURNAL_DROP 2

struct sdrv_gnt_shared {
	uint32_t lock; /* 0: free; else the holder's token */
	uint32_t dead;
	uint32_t nr_entries;
	uint32_t pad0;
	uint64_t generation;
	struct sdrv_gnt_journal journal; /* the lock holder's */
	uint8_t pad[24];
	struct sdrv_gnt_active active[];
};
SDRV_STATIC_ASSERT(sizeof(struct sdrv_gnt_shared) == 64, "shared header");

/* What a pinner needs to know of one granter. */
struct sdrv_gnt_granter {
	struct sdrv_grant_entry_v1 *entries; /* in the granter's memory */
	struct sdrv_gnt_active *active; /* nr_entries of them */
	struct sdrv_gnt_shared *shared; /* its lock and dead flag */
	uint32_t nr_entries;
	uint32_t first_frame; /* frames below (grant table, ...) never pinned */
	uint32_t nr_frames; /* frames of the granter's memory */
};

enum sdrv_gnt_pin_state {
	SDRV_GNT_PIN_FREE = 0,
	SDRV_GNT_PIN_TAKING = 1, /* being taken: counted or not (journal) */
	SDRV_GNT_PIN_HELD = 2, /* counted in the active record */
	SDRV_GNT_PIN_DROPPING = 3, /* being dropped: uncounted or not */
};

/*
 * One pin.  A backend keeps the pins it holds in a log that hv-stub can
 * read (a memfd), so that if it dies mid-copy hv-stub drops them for it:
 * the state changes inside the active record's lock, next to the count.
 */
struct sdrv_gnt_pin {
	uint32_t ref;
	sdrv_domid_t granter;
	uint8_t readonly;
	uint8_t state; /* enum sdrv_gnt_pin_state */
	uint32_t frame; /* out of sdrv_gnt_pin_take() */
	uint32_t pad;
	uint64_t generation; /* the granter's incarnation */
};
SDRV_STATIC_ASSERT(sizeof(struct sdrv_gnt_pin) == 24, "pin record");

/* ---- the pin itself, inline: a backend's copy loop calls it per segment */

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the flags|domid word below assumes little-endian"
#endif

static inline void sdrv_gnt__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Take and release @g's lock (@token: the holder's, non-zero and unique
 * to the process).  Every *_locked call below needs it held.
 * Held for a few dozen instructions per pin by trusted code; a holder
 * that dies inside is undone by sdrv_gnt_pin_recover(). */
static inline void sdrv_gnt_lock(const struct sdrv_gnt_granter *g,
				 uint32_t token)
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
			sdrv_gnt__cpu_relax();
	}
}

static inline void sdrv_gnt_unlock(const struct sdrv_gnt_granter *g)
{
	/* pairs with the acquire in sdrv_gnt_lock() */
	__atomic_store_n(&g->shared->lock, 0, __ATOMIC_RELEASE);
}

/* Flags and domid as one word: flags in bits 0-15, domid in 16-31. */
static inline uint32_t *sdrv_gnt__entry_word(const struct sdrv_gnt_granter *g, uint32_t ref)
{
	return (uint32_t *)(void *)&g->entries[ref];
}

/*
 * Clear in-use @bits of the entry.  A plain store of what was read, not a
 * locked and-not: a granter never writes the flags of an entry in use (it
 * waits for the bits to clear, as end of access does), so the only write
 * this can lose is a hostile granter's to its own entry.  Lock held.
 */
static inline void sdrv_gnt__clear_flags(const struct sdrv_gnt_granter *g, uint32_t ref,
			uint16_t bits)
{
	uint16_t *flags = &g->entries[ref].flags;
	uint16_t now = __atomic_load_n(flags, __ATOMIC_RELAXED);

	/* pairs with the acquire in sdrv_gnttab_end_access() */
	if (now & bits)
		__atomic_store_n(flags, (uint16_t)(now & ~bits), __ATOMIC_RELEASE);
}

/* Note in the journal what is about to change; lock held. */
static inline void sdrv_gnt__journal(const struct sdrv_gnt_granter *g,
				     uint32_t ref, uint8_t op)
{
	struct sdrv_gnt_journal *j = &g->shared->journal;

	if (op != SDRV_GNT_JOURNAL_NONE) {
		j->ref = ref;
		j->readers_before = g->active[ref].readers;
		j->writers_before = g->active[ref].writers;
	}
	/* The record before the counts it describes (a plain order is
	 * enough: only a dead holder's memory is read, after its death). */
	__atomic_store_n(&j->op, op, __ATOMIC_RELEASE);
}

/* Check the entry for @caller and mark it with @want; lock held. */
static inline int sdrv_gnt__mark_entry(const struct sdrv_gnt_granter *g, sdrv_domid_t caller,
		      uint32_t ref, bool readonly, uint32_t want)
{
	uint32_t *word = sdrv_gnt__entry_word(g, ref);
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

/**
 * sdrv_gnt_pin_take_locked() - pin entry @pin->ref of @g for @caller.
 * Checks: the granter is not dead; the ref lies in the table; the entry
 * permits access to @caller; not read-only unless @pin->readonly; a first
 * pin's frame lies in the granter's memory outside its reserved frames; no
 * count overflows.
 * Return: SDRV_GNTST_okay with @pin->frame set and @pin->state HELD, or a
 * SDRV_GNTST_* error (nothing held, state FREE).
 */
static inline int sdrv_gnt_pin_take_locked(const struct sdrv_gnt_granter *g,
					   sdrv_domid_t caller,
					   struct sdrv_gnt_pin *pin)
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
	st = sdrv_gnt__mark_entry(g, caller, pin->ref, pin->readonly, want);
	if (st != SDRV_GNTST_okay)
		return st;
	if (act->readers + act->writers == 0) {
		/* First pin: take the frame now and keep it for all. */
		uint32_t frame = __atomic_load_n(&g->entries[pin->ref].frame,
						 __ATOMIC_RELAXED);

		if (frame < g->first_frame || frame >= g->nr_frames) {
			sdrv_gnt__clear_flags(g, pin->ref, (uint16_t)want);
			return SDRV_GNTST_bad_page;
		}
		act->frame = frame;
		act->mapper = caller;
	}
	/* Journal, TAKING, count, HELD: whichever of these a killed holder
	 * reached, sdrv_gnt_pin_recover() undoes exactly what it did. */
	sdrv_gnt__journal(g, pin->ref, SDRV_GNT_JOURNAL_TAKE);
	__atomic_store_n(&pin->state, SDRV_GNT_PIN_TAKING, __ATOMIC_RELEASE);
	if (pin->readonly)
		act->readers++;
	else
		act->writers++;
	pin->frame = act->frame;
	__atomic_store_n(&pin->state, SDRV_GNT_PIN_HELD, __ATOMIC_RELEASE);
	sdrv_gnt__journal(g, pin->ref, SDRV_GNT_JOURNAL_NONE);
	return SDRV_GNTST_okay;
}

/* Drop a pin sdrv_gnt_pin_take_locked() gave; the last one clears the
 * entry's GTF_reading/GTF_writing so the granter may end access. */
static inline void sdrv_gnt_pin_drop_locked(const struct sdrv_gnt_granter *g,
					    struct sdrv_gnt_pin *pin)
{
	struct sdrv_gnt_active *act;

	if (pin->ref >= g->nr_entries)
		return;
	act = &g->active[pin->ref];
	sdrv_gnt__journal(g, pin->ref, SDRV_GNT_JOURNAL_DROP);
	__atomic_store_n(&pin->state, SDRV_GNT_PIN_DROPPING, __ATOMIC_RELEASE);
	if (pin->readonly && act->readers)
		act->readers--;
	else if (!pin->readonly && act->writers)
		act->writers--;
	if (act->writers == 0)
		sdrv_gnt__clear_flags(g, pin->ref,
			    act->readers ? SDRV_GTF_writing
					 : SDRV_GTF_writing | SDRV_GTF_reading);
	__atomic_store_n(&pin->state, SDRV_GNT_PIN_FREE, __ATOMIC_RELEASE);
	sdrv_gnt__journal(g, pin->ref, SDRV_GNT_JOURNAL_NONE);
}

/*
 * A read without a pin, for a copy out that is over before the caller
 * answers (sdrv_grant_read()), as a seqlock's reader: sdrv_gnt_peek()
 * checks the entry as a pin does and notes it; the caller copies, calls
 * sdrv_gnt_copies_done(), and then sdrv_gnt_peek_still() reads the entry
 * again: only a copy whose entry stayed as noted counts.  The granter is
 * never blocked: if it ends access, or names another frame, between the
 * two, the copy is thrown away.  The in-use bits are left out of the comparison: other pinners
 * set and clear them, the granter does not.  Entries are 8-byte aligned
 * (a page of them), so one load reads flags, domid and frame together.
 */
#define SDRV_GNT__IN_USE ((uint64_t)(SDRV_GTF_reading | SDRV_GTF_writing))

static inline uint64_t sdrv_gnt__entry_load(const struct sdrv_gnt_granter *g, uint32_t ref,
					    int order)
{
	return __atomic_load_n((const uint64_t *)(const void *)&g->entries[ref], order);
}

/* Whether the granter is destroyed.  Acquire: pairs with the release in
 * hv-stub's destroy, so that nothing of its after that is read. */
static inline bool sdrv_gnt_dead(const struct sdrv_gnt_granter *g)
{
	return __atomic_load_n(&g->shared->dead, __ATOMIC_ACQUIRE);
}

/* Check entry @ref for @caller (read only) of a granter the caller found
 * alive (sdrv_gnt_dead(), once for a batch); on success the entry as seen
 * in *@seen and its frame in *@frame.  Return: SDRV_GNTST_*. */
static inline int sdrv_gnt_peek_entry(const struct sdrv_gnt_granter *g, sdrv_domid_t caller,
				      uint32_t ref, uint64_t *seen, uint32_t *frame)
{
	uint64_t e;

	if (ref >= g->nr_entries)
		return SDRV_GNTST_bad_gntref;
	/* Acquire: the copy's loads come after it. */
	e = sdrv_gnt__entry_load(g, ref, __ATOMIC_ACQUIRE);
	if (((uint16_t)e & SDRV_GTF_type_mask) != SDRV_GTF_permit_access ||
	    (uint16_t)(e >> 16) != caller)
		return SDRV_GNTST_general_error;
	*frame = (uint32_t)(e >> 32);
	if (*frame < g->first_frame || *frame >= g->nr_frames)
		return SDRV_GNTST_bad_page;
	*seen = e & ~SDRV_GNT__IN_USE;
	return SDRV_GNTST_okay;
}

/* The same for one entry, the granter's death checked with it. */
static inline int sdrv_gnt_peek(const struct sdrv_gnt_granter *g, sdrv_domid_t caller,
				uint32_t ref, uint64_t *seen, uint32_t *frame)
{
	if (sdrv_gnt_dead(g))
		return SDRV_GNTST_bad_domain;
	return sdrv_gnt_peek_entry(g, caller, ref, seen, frame);
}

/* Between the copies and the second looks: every copy's loads are done
 * before any entry is looked at again.  One fence for a whole batch of
 * copies (one per copy was 3-4 % of a backend's time at 64 B).  On x86 an
 * lfence (a fast-string copy's loads are not ordered as others are), and
 * the compiler kept from moving loads across it; ThreadSanitizer takes no
 * C thread fence.  Elsewhere an acquire fence. */
static inline void sdrv_gnt_copies_done(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("lfence" ::: "memory");
#else
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
#endif
}

/* Whether entry @ref is still as sdrv_gnt_peek() saw it, after the copy
 * and sdrv_gnt_copies_done(). */
static inline bool sdrv_gnt_peek_still(const struct sdrv_gnt_granter *g, uint32_t ref,
				       uint64_t seen)
{
	return (sdrv_gnt__entry_load(g, ref, __ATOMIC_RELAXED) & ~SDRV_GNT__IN_USE) == seen;
}

/* The same, taking the lock around one pin. */
int sdrv_gnt_pin_take(const struct sdrv_gnt_granter *g, sdrv_domid_t caller,
		      uint32_t token, struct sdrv_gnt_pin *pin);
void sdrv_gnt_pin_drop(const struct sdrv_gnt_granter *g, uint32_t token,
		       struct sdrv_gnt_pin *pin);

/* Pins of entry @ref now (both kinds), for leak checks and hvctl. */
uint32_t sdrv_gnt_pin_count(const struct sdrv_gnt_granter *g, uint32_t ref);

/*
 * Undo what a dead holder of @token left in @g: take over the lock if it
 * held it and make every entry's GTF_reading/GTF_writing agree with its
 * counts again; then drop every pin of @log (@n records) that names this
 * granter incarnation (@granter, @generation) and is held.  Called by
 * hv-stub when a backend that pinned on its own went away.  The counts of
 * a pin it died in the middle of may be one off; the entries stay usable.
 * Return: how many pins and locks were undone.
 */
unsigned sdrv_gnt_pin_recover(const struct sdrv_gnt_granter *g,
			      sdrv_domid_t granter, uint64_t generation,
			      uint32_t token, struct sdrv_gnt_pin *log,
			      unsigned n);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Receive buffers kept held for a frontend that says feature-persistent
 * (see netback.h): a table by grant ref of the holds a queue keeps, its
 * worker's alone, let go when the queue goes.
 */
#include "netback.h"

#include <stdlib.h>

struct nb_pin {
	bool kept;
	struct sdrv_grant_hold hold; /* its granter and ref name the grant */
};

struct nb_pins {
	struct nb_pin at[NB_PINS]; /* by ref % NB_PINS */
	unsigned kept; /* places kept: written by its worker, read by all */
};

/* Every queue's kept grants together, against NB_PINS_TOTAL. */
static unsigned kept_total;

struct nb_pins *nb_pins_new(void)
{
	return calloc(1, sizeof(struct nb_pins));
}

static struct nb_pin *place_of(struct nb_pins *pins, sdrv_grant_ref_t ref)
{
	return &pins->at[ref % NB_PINS];
}

/* Whether one more grant may be kept (taken from the total if so). */
static bool room_for_one(void)
{
	unsigned now = __atomic_load_n(&kept_total, __ATOMIC_RELAXED);

	do {
		if (now >= NB_PINS_TOTAL)
			return false;
	} while (!__atomic_compare_exchange_n(&kept_total, &now, now + 1, true,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}

int nb_pins_hold(struct nb_pins *pins, struct sdrv_platform *p,
		 struct sdrv_grant_hold *h, unsigned n,
		 struct sdrv_grant_hold *rel, unsigned *nrel)
{
	unsigned miss[NB_BURST], nm = 0;
	int r;

	*nrel = 0;
	if (n > NB_BURST)
		return -EINVAL;
	/* Kept already: the page as it was held.  The rest are held now,
	 * in the places of rel (its room is @n), then moved back. */
	for (unsigned i = 0; i < n; i++) {
		const struct nb_pin *k = place_of(pins, h[i].ref);

		/* A grant kept to be read serves no write. */
		if (k->kept && k->hold.ref == h[i].ref && k->hold.granter == h[i].granter &&
		    (h[i].readonly || !k->hold.readonly)) {
			h[i].status = SDRV_GNTST_okay;
			h[i].page = k->hold.page;
		} else {
			rel[nm] = h[i];
			miss[nm++] = i;
		}
	}
	r = nm ? sdrv_grant_hold(p, rel, nm) : 0;
	if (r < 0)
		return r;
	for (unsigned j = 0; j < nm; j++) {
		struct sdrv_grant_hold *got = &rel[j];
		struct nb_pin *k = place_of(pins, got->ref);

		h[miss[j]] = *got;
		if (got->status != SDRV_GNTST_okay)
			continue; /* holds nothing */
		/* A place taken (by this very ref too, twice in a burst)
		 * keeps what it has: this hold goes after the burst. */
		if (!k->kept && room_for_one()) {
			k->kept = true;
			k->hold = *got;
			__atomic_store_n(&pins->kept, pins->kept + 1, __ATOMIC_RELAXED);
			continue;
		}
		rel[(*nrel)++] = *got;
	}
	return r;
}

unsigned nb_pins_kept(const struct nb_pins *pins)
{
	return pins ? __atomic_load_n(&pins->kept, __ATOMIC_RELAXED) : 0;
}

void nb_pins_free(struct nb_pins *pins, struct sdrv_platform *p)
{
	struct sdrv_grant_hold batch[64];
	unsigned nb = 0;

	if (!pins)
		return;
	for (unsigned i = 0; i < NB_PINS; i++) {
		if (!pins->at[i].kept)
			continue;
		batch[nb++] = pins->at[i].hold;
		__atomic_fetch_sub(&kept_total, 1, __ATOMIC_RELAXED);
		if (nb == sizeof(batch) / sizeof(batch[0])) {
			sdrv_grant_release(p, batch, nb);
			nb = 0;
		}
	}
	sdrv_grant_release(p, batch, nb);
	free(pins);
}

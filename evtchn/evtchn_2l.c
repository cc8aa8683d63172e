/* SPDX-License-Identifier: MIT */
/*
 * evtchn/evtchn_2l.c - the domain's side of Xen's 2-level event bitmaps:
 * mask, unmask and the upcall scanner.  Freestanding: no libc.
 *
 * The hypervisor sets pending and selector bits at any time from another CPU,
 * so every access to the shared-info page is atomic.  The page is the
 * domain's own memory: a garbled bitmap hurts only the domain that wrote it.
 */
#include <splitdrv/evtchn.h>

#define WORD_BITS 64u
#define NR_WORDS (SDRV_EVTCHN_2L_NR_PORTS / WORD_BITS)

static struct sdrv_vcpu_info *vcpu0(struct sdrv_shared_info *s)
{
	return &s->vcpu_info[0];
}

/* Ports whose event is due now: pending and not masked. */
static uint64_t ready(const struct sdrv_shared_info *s, uint32_t w)
{
	return __atomic_load_n(&s->evtchn_pending[w], __ATOMIC_ACQUIRE) &
	       ~__atomic_load_n(&s->evtchn_mask[w], __ATOMIC_ACQUIRE);
}

/* A port of word @w became due: set its selector bit and upcall_pending.
 * Return: whether the domain must be woken (upcall_pending went 0->1). */
static bool raise_upcall(struct sdrv_shared_info *s, uint32_t w)
{
	if (__atomic_fetch_or(&vcpu0(s)->evtchn_pending_sel, 1ull << w,
			      __ATOMIC_SEQ_CST) & (1ull << w))
		return false;
	return !__atomic_exchange_n(&vcpu0(s)->evtchn_upcall_pending, 1,
				    __ATOMIC_SEQ_CST);
}

SDRV_PUBLIC void sdrv_evtchn_2l_mask(struct sdrv_shared_info *s,
				     sdrv_evtchn_port_t port)
{
	if (port >= SDRV_EVTCHN_2L_NR_PORTS)
		return;
	__atomic_fetch_or(&s->evtchn_mask[port / WORD_BITS],
			  1ull << (port % WORD_BITS), __ATOMIC_SEQ_CST);
}

SDRV_PUBLIC bool sdrv_evtchn_2l_unmask(struct sdrv_shared_info *s,
				       sdrv_evtchn_port_t port)
{
	uint32_t w = port / WORD_BITS;
	uint64_t bit = 1ull << (port % WORD_BITS);

	if (port >= SDRV_EVTCHN_2L_NR_PORTS)
		return false;
	/* Seq-cst: the hypervisor's "set pending, then read mask" and our
	 * "clear mask, then read pending" must not both miss. */
	__atomic_fetch_and(&s->evtchn_mask[w], ~bit, __ATOMIC_SEQ_CST);
	if (!(__atomic_load_n(&s->evtchn_pending[w], __ATOMIC_SEQ_CST) & bit))
		return false;
	return raise_upcall(s, w);
}

SDRV_PUBLIC bool sdrv_evtchn_2l_set_pending(struct sdrv_shared_info *s,
					    sdrv_evtchn_port_t port)
{
	uint32_t w = port / WORD_BITS;
	uint64_t bit = 1ull << (port % WORD_BITS);

	if (port >= SDRV_EVTCHN_2L_NR_PORTS)
		return false;
	if (__atomic_fetch_or(&s->evtchn_pending[w], bit, __ATOMIC_SEQ_CST) & bit)
		return false; /* already pending: the edge is taken */
	if (__atomic_load_n(&s->evtchn_mask[w], __ATOMIC_SEQ_CST) & bit)
		return false; /* masked: unmask re-raises it */
	return raise_upcall(s, w);
}

SDRV_PUBLIC bool sdrv_evtchn_2l_is_pending(const struct sdrv_shared_info *s,
					   sdrv_evtchn_port_t port)
{
	if (port >= SDRV_EVTCHN_2L_NR_PORTS)
		return false;
	return __atomic_load_n(&s->evtchn_pending[port / WORD_BITS],
			       __ATOMIC_ACQUIRE) & (1ull << (port % WORD_BITS));
}

SDRV_PUBLIC void sdrv_evtchn_scanner_init(struct sdrv_evtchn_scanner *sc,
					  struct sdrv_shared_info *s)
{
	sc->shinfo = s;
	sc->sel = 0;
	sc->next_word = 0;
	sc->next_bit = 0;
}

/* The first word at or after @from whose selector bit is set (wrapping). */
static uint32_t next_word(uint64_t sel, uint32_t from)
{
	uint64_t upper = from < WORD_BITS ? sel & (~0ull << from) : 0;

	return (uint32_t)__builtin_ctzll(upper ? upper : sel);
}

SDRV_PUBLIC unsigned sdrv_evtchn_scan(struct sdrv_evtchn_scanner *sc,
				      sdrv_evtchn_port_t *ports, unsigned max)
{
	struct sdrv_shared_info *s = sc->shinfo;
	unsigned n = 0;

	if (!sc->sel) {
		/* Clear the upcall before looking, as Xen's guests do: an event
		 * that lands after this raises a new one. */
		__atomic_store_n(&vcpu0(s)->evtchn_upcall_pending, 0,
				 __ATOMIC_SEQ_CST);
		sc->sel = __atomic_exchange_n(&vcpu0(s)->evtchn_pending_sel, 0,
					      __ATOMIC_SEQ_CST);
	}
	while (n < max && sc->sel) {
		uint32_t w = next_word(sc->sel, sc->next_word);
		uint32_t from = w == sc->next_word ? sc->next_bit : 0;
		uint64_t take = ready(s, w) & (from < WORD_BITS ? ~0ull << from : 0);

		while (take && n < max) {
			uint32_t b = (uint32_t)__builtin_ctzll(take);

			take &= take - 1;
			__atomic_fetch_and(&s->evtchn_pending[w], ~(1ull << b),
					   __ATOMIC_SEQ_CST);
			ports[n++] = w * WORD_BITS + b;
			from = b + 1;
		}
		if (take) { /* @max reached inside the word: resume here */
			sc->next_word = w;
			sc->next_bit = from;
			break;
		}
		/* Bits below where this visit started stay for the next lap. */
		if (!(ready(s, w) & ~(from < WORD_BITS ? ~0ull << from : 0)))
			sc->sel &= ~(1ull << w);
		sc->next_word = (w + 1) % NR_WORDS;
		sc->next_bit = 0;
	}
	return n;
}

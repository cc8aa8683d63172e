/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/ring.h - the Xen shared request/response ring.
 *
 * Wire layout (Xen's, checked against <xen/io/ring.h> in
 * tests/ring/test-abi-xen.c):
 *
 *   offset 0   uint32 req_prod    written by the front, read by the back
 *          4   uint32 req_event   written by the back: "notify me when
 *                                 req_prod passes this"
 *          8   uint32 rsp_prod    written by the back, read by the front
 *         12   uint32 rsp_event   written by the front
 *         16   uint8  pvt[4]      protocol private (netif smartpoll, ...)
 *         20   uint8  pad[44]
 *         64   slot[nr_slots]     each slot holds a request and, later, the
 *                                 response to it; nr_slots is the largest
 *                                 power of two that fits the ring pages
 *
 * Indices are free-running uint32 counters; slot = index & (nr_slots - 1).
 * A ring spans 1, 2, 4, ... pages ("ring-page-order" in XenStore).
 *
 * The peer is hostile.  Every read of the peer's producer index is checked
 * (the back: no more requests than free slots; the front: no more responses
 * than requests it published, no index moving backwards); a bad index puts
 * the handle into a broken state (sdrv_ring_*_fault()), after which data-path
 * calls return 0 and never touch the ring again.  Requests and responses are
 * copied out of the ring exactly once and only the copy is handed on.
 *
 * Threads: one thread drives a front handle, one thread drives a back handle;
 * they may be in different processes or domains.  Nothing here allocates,
 * logs, sleeps or calls out: notification is the caller's (event channels).
 *
 * Typed use: SDRV_RING_DEFINE(blkif, struct blkif_req, struct blkif_rsp)
 * generates blkif_front_attach(), blkif_front_take_responses(), ... that pass
 * compile-time sizes, so copies compile to a few moves.
 */
#ifndef SPLITDRV_RING_H
#define SPLITDRV_RING_H

#include <splitdrv/common.h>
#include <splitdrv/errno.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The shared header that opens every ring; slots start right after it. */
struct sdrv_sring {
	uint32_t req_prod;
	uint32_t req_event;
	uint32_t rsp_prod;
	uint32_t rsp_event;
	uint8_t pvt[4];
	uint8_t pad[44];
};

#define SDRV_SRING_HEADER_SIZE 64u

SDRV_STATIC_ASSERT(sizeof(struct sdrv_sring) == SDRV_SRING_HEADER_SIZE,
	       "sring header is 64 bytes");
SDRV_STATIC_ASSERT(offsetof(struct sdrv_sring, req_prod) == 0, "req_prod");
SDRV_STATIC_ASSERT(offsetof(struct sdrv_sring, req_event) == 4, "req_event");
SDRV_STATIC_ASSERT(offsetof(struct sdrv_sring, rsp_prod) == 8, "rsp_prod");
SDRV_STATIC_ASSERT(offsetof(struct sdrv_sring, rsp_event) == 12, "rsp_event");
SDRV_STATIC_ASSERT(offsetof(struct sdrv_sring, pvt) == 16, "pvt");

/* Largest ring we attach: 2^8 pages, as far as any Xen protocol goes. */
#define SDRV_RING_MAX_PAGE_ORDER 8u

/*
 * SDRV_RING_NR_SLOTS_CONST() - sdrv_ring_nr_slots() as a constant expression
 * (for static sizing and compile-time checks): the largest power of two of
 * @slot_size slots that fits in @ring_bytes after the header.
 */
#define SDRV__SMEAR1(x) ((x) | ((x) >> 1))
#define SDRV__SMEAR2(x) (SDRV__SMEAR1(x) | (SDRV__SMEAR1(x) >> 2))
#define SDRV__SMEAR4(x) (SDRV__SMEAR2(x) | (SDRV__SMEAR2(x) >> 4))
#define SDRV__SMEAR8(x) (SDRV__SMEAR4(x) | (SDRV__SMEAR4(x) >> 8))
#define SDRV__SMEAR16(x) (SDRV__SMEAR8(x) | (SDRV__SMEAR8(x) >> 16))
#define SDRV__ROUND_DOWN_POW2(x) (SDRV__SMEAR16(x) - (SDRV__SMEAR16(x) >> 1))
#define SDRV_RING_NR_SLOTS_CONST(ring_bytes, slot_size)                       \
	((uint32_t)SDRV__ROUND_DOWN_POW2(                                      \
		(uint32_t)(((ring_bytes) - SDRV_SRING_HEADER_SIZE) /           \
			   (slot_size))))

/* Why a handle stopped working.  Only a peer can break a handle. */
enum sdrv_ring_fault {
	SDRV_RING_HEALTHY = 0,
	/* The peer's producer index claims more entries than it may. */
	SDRV_RING_FAULT_PEER_INDEX = 1,
};

/*
 * The front's private state: it produces requests and consumes responses.
 * Caller's storage; fields are private to this header.
 */
struct sdrv_ring_front {
	struct sdrv_sring *sring;
	unsigned char *slots;
	uint32_t mask; /* nr_slots - 1 */
	uint32_t slot_size;
	uint32_t req_size;
	uint32_t rsp_size;
	uint32_t req_prod_pvt; /* next request index we fill */
	uint32_t req_prod_pub; /* last req_prod we published */
	uint32_t rsp_cons; /* next response index we consume */
	uint32_t rsp_prod_seen; /* last checked value of the peer's rsp_prod */
	uint32_t fault; /* enum sdrv_ring_fault */
	uint32_t fault_index; /* the peer index that broke the handle */
};

/* The back's private state: it consumes requests and produces responses. */
struct sdrv_ring_back {
	struct sdrv_sring *sring;
	unsigned char *slots;
	uint32_t mask;
	uint32_t slot_size;
	uint32_t req_size;
	uint32_t rsp_size;
	uint32_t rsp_prod_pvt; /* next response index we fill */
	uint32_t rsp_prod_pub; /* last rsp_prod we published */
	uint32_t req_cons; /* next request index we consume */
	uint32_t req_prod_seen; /* last checked value of the peer's req_prod */
	uint32_t fault;
	uint32_t fault_index;
};

/* ------------------------------------------------------------------ */
/* Setup (cold, in libring/ring.c)                                     */

/**
 * sdrv_ring_nr_slots() - how many slots a ring of this size holds.
 * @ring_bytes: bytes of shared memory for header and slots (pages * 4096).
 * @slot_size:  bytes of one slot (the larger of request and response,
 *              rounded up to their alignment, as a C union would be).
 *
 * Return: the largest power of two of slots that fits, or 0 if not even one
 * does or an argument is out of range.  Any thread.
 */
SDRV_PUBLIC uint32_t sdrv_ring_nr_slots(size_t ring_bytes, size_t slot_size);

/**
 * sdrv_ring_sring_init() - initialise a shared ring header (front side,
 * before the ring is granted): indices 0, event indices 1, padding zeroed.
 * @shared:     the first byte of the ring's shared memory.
 * @ring_bytes: its size; at least one page worth of header.
 *
 * Return: 0, or -SDRV_EINVAL if @shared is NULL or @ring_bytes is smaller
 * than the header.  Must not race with a peer attached to the same memory.
 */
SDRV_PUBLIC int sdrv_ring_sring_init(void *shared, size_t ring_bytes);

/**
 * sdrv_ring_front_attach() - attach a front handle to shared ring memory.
 * @front:       caller's storage, fully overwritten.
 * @shared:      ring memory, already initialised by sdrv_ring_sring_init()
 *               (or being re-attached at @start_index after a resume).
 * @ring_bytes:  size of @shared, a multiple of the page size up to
 *               2^SDRV_RING_MAX_PAGE_ORDER pages.
 * @slot_size:   bytes per slot; >= @req_size and >= @rsp_size.
 * @req_size:    bytes copied per request.
 * @rsp_size:    bytes copied per response.
 * @start_index: index both private counters start from (0 for a new ring).
 *
 * Return: 0; -SDRV_EINVAL for a NULL pointer, a zero or inconsistent size,
 * or a ring that holds no slot; -SDRV_ERANGE for more pages than supported.
 * The handle does not own @shared.
 */
SDRV_PUBLIC SDRV_COLD int sdrv_ring_front_attach(struct sdrv_ring_front *front,
						void *shared, size_t ring_bytes,
						size_t slot_size,
						size_t req_size,
						size_t rsp_size,
						uint32_t start_index);

/**
 * sdrv_ring_back_attach() - attach a back handle to ring memory the front
 * initialised.  Parameters and returns as sdrv_ring_front_attach().  The back
 * never writes the shared header before its first response, so attaching to
 * a ring a hostile front keeps rewriting is safe.
 */
SDRV_PUBLIC SDRV_COLD int sdrv_ring_back_attach(struct sdrv_ring_back *back,
					       void *shared, size_t ring_bytes,
					       size_t slot_size,
					       size_t req_size,
					       size_t rsp_size,
					       uint32_t start_index);

/**
 * sdrv_ring_fault_name() - a short human-readable name of a fault, for
 * error lines such as "vif 3/0: tx ring: peer index out of range".
 */
SDRV_PUBLIC const char *sdrv_ring_fault_name(enum sdrv_ring_fault fault);

/* ------------------------------------------------------------------ */
/* Internal helpers of the inline fast path                           */

static SDRV_ALWAYS_INLINE unsigned char *
sdrv_ring__slot(unsigned char *slots, uint32_t mask, uint32_t slot_size,
		uint32_t index)
{
	return slots + (size_t)(index & mask) * slot_size;
}

/*
 * Fetch the cache lines of slots [@first, @first + @n) with intent to write.
 * The side that takes a request or response writes the same slot next (the
 * response, or the next request), so asking for the line exclusively now
 * turns "read miss, then upgrade" into one transfer, and the misses of a
 * whole batch overlap instead of following one another.
 *
 * Only lines that lie wholly inside those slots: a line shared with a slot
 * the peer may still be writing would be pulled away from it mid-write.
 * Only for slots of a cache line or more: with small slots (netif's 12
 * bytes) ringperf measured it slower, with 64-byte slots up to 1.4x faster;
 * and only for batches: one request in flight was 10 ns slower with it.
 * Only a hint (no fault, no visible effect on memory), at most
 * SDRV_RING_PREFETCH_LINES lines.
 */
#define SDRV_RING_PREFETCH_LINES 64u

static SDRV_ALWAYS_INLINE void sdrv_ring__prefetch_line(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
	/* PREFETCHW: every AMD64 CPU and Intel since Broadwell; a NOP on
	 * older Intel.  Written out so the generic build emits it. */
	__asm__ volatile("prefetchw %0" : : "m"(*(const unsigned char *)p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

static SDRV_ALWAYS_INLINE void
sdrv_ring__prefetch_for_write(unsigned char *slots, uint32_t mask,
			      uint32_t slot_size, uint32_t first, uint32_t n)
{
#ifndef SDRV_RING_NO_PREFETCH /* defined only for A/B runs (bench/README.md) */
	size_t ring_bytes = (size_t)(mask + 1) * slot_size;
	size_t begin = (size_t)(first & mask) * slot_size;
	size_t bytes = (size_t)n * slot_size, line = SDRV_CACHE_LINE;
	size_t lines = 0;

	if (slot_size < SDRV_CACHE_LINE || n < 2)
		return;
	/* The slots are contiguous except where they wrap past the end. */
	while (bytes && lines < SDRV_RING_PREFETCH_LINES) {
		size_t chunk = ring_bytes - begin < bytes ? ring_bytes - begin
							  : bytes;
		size_t lo = (begin + line - 1) & ~(line - 1);
		size_t hi = (begin + chunk) & ~(line - 1);

		for (; lo < hi && lines < SDRV_RING_PREFETCH_LINES;
		     lo += line, lines++)
			sdrv_ring__prefetch_line(slots + lo);
		bytes -= chunk;
		begin = 0;
	}
#else
	(void)slots, (void)mask, (void)slot_size, (void)first, (void)n;
#endif
}

/*
 * Copy @n items of @item_size out of consecutive slots starting at @first.
 * With constant sizes (the typed wrappers) each copy is a few moves.
 */
static SDRV_ALWAYS_INLINE void
sdrv_ring__copy_out(void *dst, unsigned char *slots, uint32_t mask,
		    uint32_t slot_size, uint32_t item_size, uint32_t first,
		    uint32_t n)
{
	unsigned char *out = (unsigned char *)dst;

	for (uint32_t i = 0; i < n; i++)
		sdrv_copy(out + (size_t)i * item_size,
			  sdrv_ring__slot(slots, mask, slot_size, first + i),
			  item_size);
	/* The caller reads only its copy: forbid the compiler from
	 * re-reading the shared slot instead. */
	sdrv_compiler_barrier();
}

static SDRV_ALWAYS_INLINE void
sdrv_ring__copy_in(unsigned char *slots, uint32_t mask, uint32_t slot_size,
		   uint32_t item_size, uint32_t first, const void *src,
		   uint32_t n)
{
	const unsigned char *in = (const unsigned char *)src;

	for (uint32_t i = 0; i < n; i++)
		sdrv_copy(sdrv_ring__slot(slots, mask, slot_size, first + i),
			  in + (size_t)i * item_size, item_size);
}

static SDRV_ALWAYS_INLINE uint32_t sdrv_ring__min(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Xen's notify rule: notify iff the event index lies in (old, new]. */
static SDRV_ALWAYS_INLINE bool
sdrv_ring__need_notify(uint32_t old_prod, uint32_t new_prod, uint32_t event)
{
	return (uint32_t)(new_prod - event) < (uint32_t)(new_prod - old_prod);
}

/*
 * Read the back's rsp_prod once and check it: responses can only answer
 * requests we published, and the index never moves backwards.
 * @order is __ATOMIC_ACQUIRE normally, __ATOMIC_SEQ_CST in the
 * final check (it pairs with the seq_cst store of rsp_event there).
 */
static SDRV_ALWAYS_INLINE bool sdrv_ring__front_refresh(struct sdrv_ring_front *f,
							int order)
{
	/* pairs with the release/seq_cst store in sdrv_ring_back_publish()
	 * and sdrv_ring_back_push() */
	uint32_t prod = __atomic_load_n(&f->sring->rsp_prod, order);
	uint32_t allowed = f->req_prod_pub - f->rsp_prod_seen;

	if (sdrv_unlikely((uint32_t)(prod - f->rsp_prod_seen) > allowed)) {
		f->fault = SDRV_RING_FAULT_PEER_INDEX;
		f->fault_index = prod;
		return false;
	}
	sdrv_ring__prefetch_for_write(f->slots, f->mask, f->slot_size,
				      f->rsp_prod_seen, prod - f->rsp_prod_seen);
	f->rsp_prod_seen = prod;
	return true;
}

/*
 * Read the front's req_prod once and check it: at most nr_slots requests
 * beyond the responses we published (a slot is free for the front only once
 * it saw our response in it), and never backwards.
 */
static SDRV_ALWAYS_INLINE bool sdrv_ring__back_refresh(struct sdrv_ring_back *b,
						       int order)
{
	/* pairs with the release/seq_cst store in sdrv_ring_front_publish()
	 * and sdrv_ring_front_push() */
	uint32_t prod = __atomic_load_n(&b->sring->req_prod, order);
	uint32_t nr_slots = b->mask + 1;

	if (sdrv_unlikely((uint32_t)(prod - b->rsp_prod_pub) > nr_slots ||
			  (uint32_t)(prod - b->req_prod_seen) > nr_slots)) {
		b->fault = SDRV_RING_FAULT_PEER_INDEX;
		b->fault_index = prod;
		return false;
	}
	sdrv_ring__prefetch_for_write(b->slots, b->mask, b->slot_size,
				      b->req_prod_seen, prod - b->req_prod_seen);
	b->req_prod_seen = prod;
	return true;
}

/* ------------------------------------------------------------------ */
/* Front: produce requests, consume responses                          */

/** sdrv_ring_front_nr_slots() - slots in the ring (a power of two). */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_front_nr_slots(const struct sdrv_ring_front *f)
{
	return f->mask + 1;
}

/** sdrv_ring_front_fault() - SDRV_RING_HEALTHY, or why the handle broke. */
static SDRV_ALWAYS_INLINE enum sdrv_ring_fault
sdrv_ring_front_fault(const struct sdrv_ring_front *f)
{
	return (enum sdrv_ring_fault)f->fault;
}

/** sdrv_ring_front_free() - request slots free to fill now. */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_front_free(const struct sdrv_ring_front *f)
{
	return f->mask + 1 - (f->req_prod_pvt - f->rsp_cons);
}

/** sdrv_ring_front_in_flight() - requests produced and not yet answered. */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_front_in_flight(const struct sdrv_ring_front *f)
{
	return f->req_prod_pvt - f->rsp_cons;
}

static SDRV_ALWAYS_INLINE void *
sdrv_ring__front_slot(struct sdrv_ring_front *f, uint32_t k, uint32_t slot_size)
{
	if (sdrv_unlikely(k >= sdrv_ring_front_free(f) || f->fault))
		return NULL;
	return sdrv_ring__slot(f->slots, f->mask, slot_size,
			       f->req_prod_pvt + k);
}

/**
 * sdrv_ring_front_request_slot() - the slot of the @k-th next request, to be
 * filled in place (zero copy).  Writing a slot we own is safe whatever the
 * peer does; only sdrv_ring_front_produce() hands it over.
 *
 * Return: the slot, or NULL if fewer than @k + 1 slots are free or the
 * handle is broken.
 */
static SDRV_ALWAYS_INLINE void *
sdrv_ring_front_request_slot(struct sdrv_ring_front *f, uint32_t k)
{
	return sdrv_ring__front_slot(f, k, f->slot_size);
}

/**
 * sdrv_ring_front_produce() - hand @n filled request slots to the ring
 * (privately; publish or push makes them visible).
 * Return: the number produced, @n clamped to the free slots.
 */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_front_produce(struct sdrv_ring_front *f,
					       uint32_t n)
{
	if (sdrv_unlikely(f->fault))
		return 0;
	n = sdrv_ring__min(n, sdrv_ring_front_free(f));
	f->req_prod_pvt += n;
	return n;
}

static SDRV_ALWAYS_INLINE uint32_t
sdrv_ring__front_put(struct sdrv_ring_front *f, const void *src, uint32_t n,
		     uint32_t slot_size, uint32_t req_size)
{
	if (sdrv_unlikely(f->fault))
		return 0;
	n = sdrv_ring__min(n, sdrv_ring_front_free(f));
	sdrv_ring__copy_in(f->slots, f->mask, slot_size, req_size,
			   f->req_prod_pvt, src, n);
	f->req_prod_pvt += n;
	return n;
}

/**
 * sdrv_ring_front_put_requests() - copy up to @n requests from @src (an
 * array of req_size-byte items) into free slots.
 * Return: how many were copied (0 when full or broken).
 */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_front_put_requests(struct sdrv_ring_front *f,
						    const void *src, uint32_t n)
{
	return sdrv_ring__front_put(f, src, n, f->slot_size, f->req_size);
}

/* Prefetch, to be written, the cache lines of @n slots from @index. */
static SDRV_ALWAYS_INLINE void sdrv_ring__prefetch(const unsigned char *slots, uint32_t mask,
						  uint32_t slot_size, uint32_t index,
						  uint32_t n)
{
	uint32_t bytes = (mask + 1) * slot_size;
	uint32_t at = (index & mask) * slot_size;
	uint32_t len = sdrv_ring__min(n, mask + 1) * slot_size;

	if (!len)
		return;
	for (uint32_t off = 0; off < len + 63; off += 64)
		__builtin_prefetch(slots + (at + sdrv_ring__min(off, len - 1)) % bytes, 1, 3);
}

/**
 * sdrv_ring_front_prefetch() - start fetching, to be written, the cache
 * lines of the next @n request slots.  The back wrote its responses into
 * those slots, so the lines sit in its CPU's cache: asked for before the
 * caller prepares the requests, they arrive while it works instead of
 * stalling the stores that fill them.
 */
static SDRV_ALWAYS_INLINE void sdrv_ring_front_prefetch(const struct sdrv_ring_front *f,
							uint32_t n)
{
	sdrv_ring__prefetch(f->slots, f->mask, f->slot_size, f->req_prod_pvt, n);
}

/**
 * sdrv_ring_front_publish() - make produced requests visible to the back,
 * without checking whether it wants a notification (busy-polling peers).
 */
static SDRV_ALWAYS_INLINE void sdrv_ring_front_publish(struct sdrv_ring_front *f)
{
	/* A broken handle never writes the shared page again. */
	if (f->req_prod_pub == f->req_prod_pvt || sdrv_unlikely(f->fault))
		return;
	/* pairs with the acquire in sdrv_ring__back_refresh() */
	__atomic_store_n(&f->sring->req_prod, f->req_prod_pvt,
			      __ATOMIC_RELEASE);
	f->req_prod_pub = f->req_prod_pvt;
}

/**
 * sdrv_ring_front_push() - publish produced requests and say whether the
 * back asked to be notified (Xen's RING_PUSH_REQUESTS_AND_CHECK_NOTIFY).
 * Return: true if the caller must notify the back's event channel.
 */
static SDRV_ALWAYS_INLINE bool sdrv_ring_front_push(struct sdrv_ring_front *f)
{
	uint32_t old_prod = f->req_prod_pub, new_prod = f->req_prod_pvt;
	uint32_t event;

	if (old_prod == new_prod || sdrv_unlikely(f->fault))
		return false;
	/* seq_cst store then seq_cst load: the back either sees our requests
	 * in its final check or we see its new req_event here.  Pairs with
	 * sdrv_ring_back_final_check(). */
	__atomic_store_n(&f->sring->req_prod, new_prod,
			      __ATOMIC_SEQ_CST);
	event = __atomic_load_n(&f->sring->req_event,
				     __ATOMIC_SEQ_CST);
	f->req_prod_pub = new_prod;
	return sdrv_ring__need_notify(old_prod, new_prod, event);
}

/**
 * sdrv_ring_front_pending() - responses ready to take now.  Reads and checks
 * the back's index if the last checked value is used up.
 * Return: the count; 0 if none or the handle is broken.
 */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_front_pending(struct sdrv_ring_front *f)
{
	if (sdrv_unlikely(f->fault))
		return 0;
	if (f->rsp_prod_seen == f->rsp_cons &&
	    !sdrv_ring__front_refresh(f, __ATOMIC_ACQUIRE))
		return 0;
	return f->rsp_prod_seen - f->rsp_cons;
}

static SDRV_ALWAYS_INLINE uint32_t
sdrv_ring__front_take(struct sdrv_ring_front *f, void *dst, uint32_t max,
		      uint32_t slot_size, uint32_t rsp_size)
{
	uint32_t avail;

	if (sdrv_unlikely(f->fault))
		return 0;
	avail = f->rsp_prod_seen - f->rsp_cons;
	if (avail < max) {
		if (!sdrv_ring__front_refresh(f, __ATOMIC_ACQUIRE))
			return 0;
		avail = f->rsp_prod_seen - f->rsp_cons;
	}
	avail = sdrv_ring__min(avail, max);
	sdrv_ring__copy_out(dst, f->slots, f->mask, slot_size, rsp_size,
			    f->rsp_cons, avail);
	f->rsp_cons += avail;
	return avail;
}

/**
 * sdrv_ring_front_take_responses() - copy up to @max responses out of the
 * ring into @dst (an array of rsp_size-byte items) and free their slots.
 * Each response is read from shared memory exactly once.
 * Return: how many were taken; 0 if none or the handle is broken.
 */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_front_take_responses(struct sdrv_ring_front *f,
						      void *dst, uint32_t max)
{
	return sdrv_ring__front_take(f, dst, max, f->slot_size, f->rsp_size);
}

/**
 * sdrv_ring_front_final_check() - before sleeping: ask the back to notify on
 * the next response (rsp_event = rsp_cons + 1) and look once more
 * (RING_FINAL_CHECK_FOR_RESPONSES).
 * Return: true if responses are waiting (do not sleep).  A broken handle
 * returns false: sleep, and look at sdrv_ring_front_fault().
 */
static SDRV_ALWAYS_INLINE bool sdrv_ring_front_final_check(struct sdrv_ring_front *f)
{
	if (sdrv_ring_front_pending(f))
		return true;
	if (f->fault)
		return false;
	/* pairs with the seq_cst store/load in sdrv_ring_back_push() */
	__atomic_store_n(&f->sring->rsp_event, f->rsp_cons + 1,
			      __ATOMIC_SEQ_CST);
	if (!sdrv_ring__front_refresh(f, __ATOMIC_SEQ_CST))
		return false;
	return f->rsp_prod_seen != f->rsp_cons;
}

/* ------------------------------------------------------------------ */
/* Back: consume requests, produce responses                           */

static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_back_nr_slots(const struct sdrv_ring_back *b)
{
	return b->mask + 1;
}

static SDRV_ALWAYS_INLINE enum sdrv_ring_fault
sdrv_ring_back_fault(const struct sdrv_ring_back *b)
{
	return (enum sdrv_ring_fault)b->fault;
}

/**
 * sdrv_ring_back_pending() - requests ready to take now (reads and checks
 * the front's index if the last checked value is used up).
 * Return: the count; 0 if none or the handle is broken.
 */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_back_pending(struct sdrv_ring_back *b)
{
	if (sdrv_unlikely(b->fault))
		return 0;
	if (b->req_prod_seen == b->req_cons &&
	    !sdrv_ring__back_refresh(b, __ATOMIC_ACQUIRE))
		return 0;
	return b->req_prod_seen - b->req_cons;
}

/**
 * sdrv_ring_back_pending_at_least() - sdrv_ring_back_pending(), reading the
 * front's index again whenever fewer than @want requests are known: a
 * backend that takes requests only in groups (a frame's several receive
 * buffers) would otherwise wait on a count that never grows.
 * Return: the count (may be below @want); 0 if the handle is broken.
 */
static SDRV_ALWAYS_INLINE uint32_t
sdrv_ring_back_pending_at_least(struct sdrv_ring_back *b, uint32_t want)
{
	if (sdrv_unlikely(b->fault))
		return 0;
	if (b->req_prod_seen - b->req_cons < want &&
	    !sdrv_ring__back_refresh(b, __ATOMIC_ACQUIRE))
		return 0;
	return b->req_prod_seen - b->req_cons;
}

static SDRV_ALWAYS_INLINE uint32_t
sdrv_ring__back_take(struct sdrv_ring_back *b, void *dst, uint32_t max,
		     uint32_t slot_size, uint32_t req_size)
{
	uint32_t avail;

	if (sdrv_unlikely(b->fault))
		return 0;
	avail = b->req_prod_seen - b->req_cons;
	if (avail < max) {
		if (!sdrv_ring__back_refresh(b, __ATOMIC_ACQUIRE))
			return 0;
		avail = b->req_prod_seen - b->req_cons;
	}
	avail = sdrv_ring__min(avail, max);
	sdrv_ring__copy_out(dst, b->slots, b->mask, slot_size, req_size,
			    b->req_cons, avail);
	b->req_cons += avail;
	return avail;
}

/**
 * sdrv_ring_back_take_requests() - copy up to @max requests out of the ring
 * into @dst (req_size-byte items).  Each request is read exactly once;
 * validate the copy, never the slot.
 * Return: how many were taken; 0 if none or the handle is broken.
 */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_back_take_requests(struct sdrv_ring_back *b,
						    void *dst, uint32_t max)
{
	return sdrv_ring__back_take(b, dst, max, b->slot_size, b->req_size);
}

/** sdrv_ring_back_unanswered() - requests taken and not yet answered. */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_back_unanswered(const struct sdrv_ring_back *b)
{
	return b->req_cons - b->rsp_prod_pvt;
}

static SDRV_ALWAYS_INLINE void *
sdrv_ring__back_slot(struct sdrv_ring_back *b, uint32_t k, uint32_t slot_size)
{
	if (sdrv_unlikely(k >= sdrv_ring_back_unanswered(b) || b->fault))
		return NULL;
	return sdrv_ring__slot(b->slots, b->mask, slot_size,
			       b->rsp_prod_pvt + k);
}

/**
 * sdrv_ring_back_response_slot() - the slot of the @k-th next response, to
 * fill in place.  Return: NULL unless @k < sdrv_ring_back_unanswered().
 */
static SDRV_ALWAYS_INLINE void *
sdrv_ring_back_response_slot(struct sdrv_ring_back *b, uint32_t k)
{
	return sdrv_ring__back_slot(b, k, b->slot_size);
}

/** sdrv_ring_back_produce() - hand @n filled response slots over
 * (clamped to the unanswered requests).  Return: the number produced. */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_back_produce(struct sdrv_ring_back *b,
					      uint32_t n)
{
	if (sdrv_unlikely(b->fault))
		return 0;
	n = sdrv_ring__min(n, sdrv_ring_back_unanswered(b));
	b->rsp_prod_pvt += n;
	return n;
}

static SDRV_ALWAYS_INLINE uint32_t
sdrv_ring__back_put(struct sdrv_ring_back *b, const void *src, uint32_t n,
		    uint32_t slot_size, uint32_t rsp_size)
{
	if (sdrv_unlikely(b->fault))
		return 0;
	n = sdrv_ring__min(n, sdrv_ring_back_unanswered(b));
	sdrv_ring__copy_in(b->slots, b->mask, slot_size, rsp_size,
			   b->rsp_prod_pvt, src, n);
	b->rsp_prod_pvt += n;
	return n;
}

/**
 * sdrv_ring_back_put_responses() - copy up to @n responses from @src into
 * the slots of requests already taken, in order.
 * Return: how many were copied.
 */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_back_put_responses(struct sdrv_ring_back *b,
						    const void *src, uint32_t n)
{
	return sdrv_ring__back_put(b, src, n, b->slot_size, b->rsp_size);
}

/** sdrv_ring_back_publish() - make responses visible, no notify check. */
static SDRV_ALWAYS_INLINE void sdrv_ring_back_publish(struct sdrv_ring_back *b)
{
	/* A broken handle never writes the shared page again. */
	if (b->rsp_prod_pub == b->rsp_prod_pvt || sdrv_unlikely(b->fault))
		return;
	/* pairs with the acquire in sdrv_ring__front_refresh() */
	__atomic_store_n(&b->sring->rsp_prod, b->rsp_prod_pvt,
			      __ATOMIC_RELEASE);
	b->rsp_prod_pub = b->rsp_prod_pvt;
}

/**
 * sdrv_ring_back_push() - publish responses; true if the front asked to be
 * notified (RING_PUSH_RESPONSES_AND_CHECK_NOTIFY).
 */
static SDRV_ALWAYS_INLINE bool sdrv_ring_back_push(struct sdrv_ring_back *b)
{
	uint32_t old_prod = b->rsp_prod_pub, new_prod = b->rsp_prod_pvt;
	uint32_t event;

	if (old_prod == new_prod || sdrv_unlikely(b->fault))
		return false;
	/* pairs with sdrv_ring_front_final_check() */
	__atomic_store_n(&b->sring->rsp_prod, new_prod,
			      __ATOMIC_SEQ_CST);
	event = __atomic_load_n(&b->sring->rsp_event,
				     __ATOMIC_SEQ_CST);
	b->rsp_prod_pub = new_prod;
	return sdrv_ring__need_notify(old_prod, new_prod, event);
}

/**
 * sdrv_ring_back_final_check() - before sleeping: req_event = req_cons + 1,
 * then look once more (RING_FINAL_CHECK_FOR_REQUESTS).
 * Return: true if requests are waiting.  A broken handle returns false.
 */
static SDRV_ALWAYS_INLINE bool sdrv_ring_back_final_check(struct sdrv_ring_back *b)
{
	if (sdrv_ring_back_pending(b))
		return true;
	if (b->fault)
		return false;
	/* pairs with the seq_cst store/load in sdrv_ring_front_push() */
	__atomic_store_n(&b->sring->req_event, b->req_cons + 1,
			      __ATOMIC_SEQ_CST);
	if (!sdrv_ring__back_refresh(b, __ATOMIC_SEQ_CST))
		return false;
	return b->req_prod_seen != b->req_cons;
}

/**
 * sdrv_ring_back_final_check_for() - sdrv_ring_back_final_check() for a
 * backend that needs @want requests at once: before sleeping, ask to be
 * notified of the next request beyond those already seen (req_event =
 * what was seen + 1; RING_FINAL_CHECK's req_cons + 1 would not fire while
 * fewer than @want wait), then look once more.
 * Return: true if @want requests are waiting.  A broken handle returns
 * false.
 */
static SDRV_ALWAYS_INLINE bool sdrv_ring_back_final_check_for(struct sdrv_ring_back *b,
							      uint32_t want)
{
	if (sdrv_ring_back_pending_at_least(b, want) >= want)
		return true;
	if (b->fault)
		return false;
	/* pairs with the seq_cst store/load in sdrv_ring_front_push() */
	__atomic_store_n(&b->sring->req_event, b->req_prod_seen + 1,
			      __ATOMIC_SEQ_CST);
	if (!sdrv_ring__back_refresh(b, __ATOMIC_SEQ_CST))
		return false;
	return b->req_prod_seen - b->req_cons >= want;
}

/* ------------------------------------------------------------------ */
/* Spans: zero-copy batches                                            */

/*
 * A run of consecutive slots whose index range was checked once, as
 * liburing's io_uring_for_each_cqe() + io_uring_cq_advance() and DPDK's
 * rte_ring_dequeue_zc_burst_start()/_finish(): peek (or reserve) a span,
 * work on its slots with no further check, then consume (or produce) once.
 *
 *	struct sdrv_ring_span sp;
 *	uint32_t n = blkif_back_peek_requests(&b, 32, &sp);
 *	for (uint32_t i = 0; i < n; i++) {
 *		struct blkif_request req;
 *		blkif_span_copy_request(&sp, i, &req);   // read it once
 *		... validate and handle req, never the slot ...
 *	}
 *	sdrv_ring_back_consume_requests(&b, n);
 *
 * Peeked slots are the peer's to change until consumed: copy each request
 * (or response) out exactly once and use only the copy.  Reserved slots are
 * ours to fill in place until produced.  A span is good until the next
 * call on its handle; a broken handle gives empty spans.
 */
struct sdrv_ring_span {
	unsigned char *slots;
	uint32_t mask;
	uint32_t slot_size;
	uint32_t start; /* ring index of the span's first slot */
	uint32_t count;
};

static SDRV_ALWAYS_INLINE uint32_t
sdrv_ring__span(struct sdrv_ring_span *sp, unsigned char *slots, uint32_t mask,
		uint32_t slot_size, uint32_t start, uint32_t count)
{
	sp->slots = slots;
	sp->mask = mask;
	sp->slot_size = slot_size;
	sp->start = start;
	sp->count = count;
	return count;
}

/** sdrv_ring_span_slot() - slot @i of the span; @i < sp->count, unchecked. */
static SDRV_ALWAYS_INLINE void *sdrv_ring_span_slot(const struct sdrv_ring_span *sp,
						     uint32_t i)
{
	return sdrv_ring__slot(sp->slots, sp->mask, sp->slot_size, sp->start + i);
}

/**
 * sdrv_ring_back_prefetch() - start fetching, to be written, the cache
 * lines of the next @n request slots: the back reads the requests there
 * and then writes its responses over them, so each line crosses from the
 * front's CPU once, not once to be read and again to be written.
 */
static SDRV_ALWAYS_INLINE void sdrv_ring_back_prefetch(const struct sdrv_ring_back *b,
						       uint32_t n)
{
	sdrv_ring__prefetch(b->slots, b->mask, b->slot_size, b->req_cons, n);
}

/**
 * sdrv_ring_back_peek_requests() - up to @max requests ready now, as a
 * span; the front's index is read and checked at most once.
 * Return: the span's length (0: none, or broken).
 */
static SDRV_ALWAYS_INLINE uint32_t
sdrv_ring_back_peek_requests(struct sdrv_ring_back *b, uint32_t max,
			     struct sdrv_ring_span *sp)
{
	uint32_t avail = sdrv_ring_back_pending(b);

	return sdrv_ring__span(sp, b->slots, b->mask, b->slot_size, b->req_cons,
			       sdrv_ring__min(avail, max));
}

/** sdrv_ring_back_consume_requests() - done with the first @n requests
 * peeked (clamped to those checked ready). */
static SDRV_ALWAYS_INLINE void
sdrv_ring_back_consume_requests(struct sdrv_ring_back *b, uint32_t n)
{
	b->req_cons += sdrv_ring__min(n, b->req_prod_seen - b->req_cons);
}

/**
 * sdrv_ring_back_reserve_responses() - the slots of up to @max responses
 * owed (requests consumed, not yet answered), to fill in place; then
 * sdrv_ring_back_produce().  Return: the span's length (0 if broken).
 */
static SDRV_ALWAYS_INLINE uint32_t
sdrv_ring_back_reserve_responses(struct sdrv_ring_back *b, uint32_t max,
				 struct sdrv_ring_span *sp)
{
	uint32_t owed = b->fault ? 0 : sdrv_ring_back_unanswered(b);

	return sdrv_ring__span(sp, b->slots, b->mask, b->slot_size,
			       b->rsp_prod_pvt, sdrv_ring__min(owed, max));
}

/**
 * sdrv_ring_front_reserve_requests() - up to @max free slots to fill in
 * place; then sdrv_ring_front_produce().  Return: the span's length.
 */
static SDRV_ALWAYS_INLINE uint32_t
sdrv_ring_front_reserve_requests(struct sdrv_ring_front *f, uint32_t max,
				 struct sdrv_ring_span *sp)
{
	uint32_t room = f->fault ? 0 : sdrv_ring_front_free(f);

	return sdrv_ring__span(sp, f->slots, f->mask, f->slot_size,
			       f->req_prod_pvt, sdrv_ring__min(room, max));
}

/**
 * sdrv_ring_front_peek_responses() - up to @max responses ready now, as a
 * span (the back's index read and checked at most once).
 * Return: the span's length (0: none, or broken).
 */
static SDRV_ALWAYS_INLINE uint32_t
sdrv_ring_front_peek_responses(struct sdrv_ring_front *f, uint32_t max,
			       struct sdrv_ring_span *sp)
{
	uint32_t avail = sdrv_ring_front_pending(f);

	return sdrv_ring__span(sp, f->slots, f->mask, f->slot_size, f->rsp_cons,
			       sdrv_ring__min(avail, max));
}

/** sdrv_ring_front_consume_responses() - done with the first @n responses
 * peeked (clamped to those checked ready). */
static SDRV_ALWAYS_INLINE void
sdrv_ring_front_consume_responses(struct sdrv_ring_front *f, uint32_t n)
{
	f->rsp_cons += sdrv_ring__min(n, f->rsp_prod_seen - f->rsp_cons);
}

/* ------------------------------------------------------------------ */
/* Typed wrappers                                                       */

/**
 * SDRV_RING_DEFINE() - typed ring functions for one protocol.
 * @name:     prefix of the generated names (name##_front_attach, ...).
 * @req_type: the request structure.
 * @rsp_type: the response structure.
 *
 * Defines union name##_slot (the slot, laid out as Xen's sring entry) and
 * inline wrappers that pass compile-time sizes to the generic handles.
 */
#define SDRV_RING_DEFINE(name, req_type, rsp_type)                            \
	union name##_slot {                                                    \
		req_type req;                                                  \
		rsp_type rsp;                                                  \
	};                                                                     \
	static inline SDRV_MAYBE_UNUSED uint32_t name##_ring_nr_slots(size_t ring_bytes)         \
	{                                                                      \
		return sdrv_ring_nr_slots(ring_bytes,                          \
					  sizeof(union name##_slot));          \
	}                                                                      \
	static inline SDRV_MAYBE_UNUSED int name##_front_attach(struct sdrv_ring_front *f,       \
					      void *shared, size_t ring_bytes, \
					      uint32_t start_index)            \
	{                                                                      \
		return sdrv_ring_front_attach(f, shared, ring_bytes,           \
					      sizeof(union name##_slot),       \
					      sizeof(req_type),                \
					      sizeof(rsp_type), start_index);  \
	}                                                                      \
	static inline SDRV_MAYBE_UNUSED int name##_back_attach(struct sdrv_ring_back *b,         \
					     void *shared, size_t ring_bytes,  \
					     uint32_t start_index)             \
	{                                                                      \
		return sdrv_ring_back_attach(b, shared, ring_bytes,            \
					     sizeof(union name##_slot),        \
					     sizeof(req_type),                 \
					     sizeof(rsp_type), start_index);   \
	}                                                                      \
	static inline SDRV_MAYBE_UNUSED req_type *name##_front_request_slot(                     \
		struct sdrv_ring_front *f, uint32_t k)                         \
	{                                                                      \
		return (req_type *)sdrv_ring__front_slot(                      \
			f, k, sizeof(union name##_slot));                      \
	}                                                                      \
	static inline SDRV_MAYBE_UNUSED uint32_t name##_front_put_requests(                      \
		struct sdrv_ring_front *f, const req_type *src, uint32_t n)    \
	{                                                                      \
		return sdrv_ring__front_put(f, src, n,                         \
					    sizeof(union name##_slot),         \
					    sizeof(req_type));                 \
	}                                                                      \
	static inline SDRV_MAYBE_UNUSED uint32_t name##_front_take_responses(                    \
		struct sdrv_ring_front *f, rsp_type *dst, uint32_t max)        \
	{                                                                      \
		return sdrv_ring__front_take(f, dst, max,                      \
					     sizeof(union name##_slot),        \
					     sizeof(rsp_type));                \
	}                                                                      \
	static inline SDRV_MAYBE_UNUSED rsp_type *name##_back_response_slot(                     \
		struct sdrv_ring_back *b, uint32_t k)                          \
	{                                                                      \
		return (rsp_type *)sdrv_ring__back_slot(                       \
			b, k, sizeof(union name##_slot));                      \
	}                                                                      \
	static inline SDRV_MAYBE_UNUSED uint32_t name##_back_take_requests(                      \
		struct sdrv_ring_back *b, req_type *dst, uint32_t max)         \
	{                                                                      \
		return sdrv_ring__back_take(b, dst, max,                       \
					    sizeof(union name##_slot),         \
					    sizeof(req_type));                 \
	}                                                                      \
	static inline SDRV_MAYBE_UNUSED uint32_t name##_back_put_responses(                      \
		struct sdrv_ring_back *b, const rsp_type *src, uint32_t n)     \
	{                                                                      \
		return sdrv_ring__back_put(b, src, n,                          \
					   sizeof(union name##_slot),          \
					   sizeof(rsp_type));                  \
	}                                                                      \
	/* Spans: slot @i of a span, typed, with the constant slot size;   \
	 * *_span_copy_* reads one out once into private memory. */        \
	static SDRV_ALWAYS_INLINE SDRV_MAYBE_UNUSED req_type *name##_span_request(      \
		const struct sdrv_ring_span *sp, uint32_t i)                   \
	{                                                                      \
		return (req_type *)(void *)sdrv_ring__slot(sp->slots, sp->mask, \
						   sizeof(union name##_slot),  \
						   sp->start + i);             \
	}                                                                      \
	static SDRV_ALWAYS_INLINE SDRV_MAYBE_UNUSED rsp_type *name##_span_response(     \
		const struct sdrv_ring_span *sp, uint32_t i)                   \
	{                                                                      \
		return (rsp_type *)(void *)sdrv_ring__slot(sp->slots, sp->mask, \
						   sizeof(union name##_slot),  \
						   sp->start + i);             \
	}                                                                      \
	static SDRV_ALWAYS_INLINE SDRV_MAYBE_UNUSED void name##_span_copy_request(      \
		const struct sdrv_ring_span *sp, uint32_t i, req_type *dst)    \
	{                                                                      \
		sdrv_copy(dst, name##_span_request(sp, i), sizeof(req_type));   \
		sdrv_compiler_barrier();                                       \
	}                                                                      \
	static SDRV_ALWAYS_INLINE SDRV_MAYBE_UNUSED void name##_span_copy_response(     \
		const struct sdrv_ring_span *sp, uint32_t i, rsp_type *dst)    \
	{                                                                      \
		sdrv_copy(dst, name##_span_response(sp, i), sizeof(rsp_type));  \
		sdrv_compiler_barrier();                                       \
	}                                                                      \
	struct sdrv_ring__##name##_semicolon_sink

#ifdef __cplusplus
}
#endif

#endif /* SPLITDRV_RING_H */

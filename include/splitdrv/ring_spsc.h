/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/ring_spsc.h - a general lockless single-producer/single-consumer
 * ring of fixed-size elements (part of the ring component).
 *
 * For queues inside a backend (a poll thread handing packets or I/Os to a
 * worker) and between cooperating processes.  Not a Xen wire format.
 *
 * Shared memory (struct sdrv_ring_spsc_shared, position independent):
 *
 *   offset   0  uint32 head   written only by the producer
 *          128  uint32 tail   written only by the consumer
 *          256  elements[nr_elems]
 *
 * head and tail sit two cache lines apart so neither side's store evicts
 * the other's index (adjacent-line prefetchers fetch pairs of lines).
 *
 * Each side keeps its own index and its last view of the other's in a local
 * handle, not in shared memory, so:
 *  - the producer reads the consumer's line only when its cached view says
 *    the ring is full, and the consumer reads the producer's line only when
 *    its view says it is empty (one cross-core transfer per refill, not per
 *    call as in a ring that re-reads both indices every time);
 *  - a peer that scribbles on shared memory can corrupt only the indices,
 *    which are checked on every read: a bad one breaks the handle
 *    (SDRV_RING_FAULT_PEER_INDEX), it never causes an access outside the ring.
 *
 * Typed use: SDRV_RING_SPSC_DEFINE(ptrq, void *) defines
 * ptrq_enqueue_burst() and ptrq_dequeue_burst() with constant element sizes.
 */
#ifndef SPLITDRV_RING_SPSC_H
#define SPLITDRV_RING_SPSC_H

#include <splitdrv/common.h>
#include <splitdrv/errno.h>
#include <splitdrv/ring.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sdrv_ring_spsc_shared {
	SDRV_ALIGNED(128) uint32_t head;
	SDRV_ALIGNED(128) uint32_t tail;
	/* The elements follow at SDRV_RING_SPSC_HEADER_SIZE (no flexible
	 * array member: the header is C++ too). */
};

#define SDRV_RING_SPSC_HEADER_SIZE 256u
SDRV_STATIC_ASSERT(offsetof(struct sdrv_ring_spsc_shared, tail) == 128, "tail");
SDRV_STATIC_ASSERT(sizeof(struct sdrv_ring_spsc_shared) ==
			   SDRV_RING_SPSC_HEADER_SIZE,
		   "elements follow the two index lines");

/* The producer's private view. */
struct sdrv_ring_spsc_prod {
	struct sdrv_ring_spsc_shared *shared;
	unsigned char *elems;
	uint32_t mask;
	uint32_t elem_size;
	uint32_t head; /* our index: the next element we write */
	uint32_t tail_seen; /* last checked value of the consumer's tail */
	uint32_t fault; /* enum sdrv_ring_fault */
	uint32_t fault_index;
};

/* The consumer's private view. */
struct sdrv_ring_spsc_cons {
	struct sdrv_ring_spsc_shared *shared;
	unsigned char *elems;
	uint32_t mask;
	uint32_t elem_size;
	uint32_t tail; /* our index: the next element we read */
	uint32_t head_seen; /* last checked value of the producer's head */
	uint32_t fault;
	uint32_t fault_index;
};

/**
 * sdrv_ring_spsc_memsize() - bytes of shared memory for @nr_elems elements
 * of @elem_size bytes.
 * Return: the size, or 0 if @nr_elems is not a power of two in [2, 2^30],
 * @elem_size is 0, or the product overflows.
 */
SDRV_PUBLIC size_t sdrv_ring_spsc_memsize(uint32_t nr_elems, uint32_t elem_size);

/**
 * sdrv_ring_spsc_init() - initialise shared memory as an empty ring.
 * @shared: sdrv_ring_spsc_memsize() bytes, 128-byte aligned.
 * Return: 0, or -SDRV_EINVAL for a NULL or misaligned @shared or bad sizes.
 * Must happen before either side attaches.
 */
SDRV_PUBLIC int sdrv_ring_spsc_init(struct sdrv_ring_spsc_shared *shared,
				    uint32_t nr_elems, uint32_t elem_size);

/**
 * sdrv_ring_spsc_prod_attach() / sdrv_ring_spsc_cons_attach() - attach one
 * side.  The geometry is the caller's (agreed out of band), never read back
 * from shared memory; the current indices are read once and checked.
 * Return: 0; -SDRV_EINVAL for bad arguments; -SDRV_EPROTO if the shared
 * indices are inconsistent (more elements than the ring holds).
 */
SDRV_PUBLIC SDRV_COLD int
sdrv_ring_spsc_prod_attach(struct sdrv_ring_spsc_prod *prod,
			   struct sdrv_ring_spsc_shared *shared,
			   uint32_t nr_elems, uint32_t elem_size);
SDRV_PUBLIC SDRV_COLD int
sdrv_ring_spsc_cons_attach(struct sdrv_ring_spsc_cons *cons,
			   struct sdrv_ring_spsc_shared *shared,
			   uint32_t nr_elems, uint32_t elem_size);

/* Copy @n elements between a caller array and ring positions from @index,
 * element by element (the index wraps with the mask). */
static SDRV_ALWAYS_INLINE void
sdrv_ring_spsc__copy_in(unsigned char *elems, uint32_t mask, uint32_t esize,
			uint32_t index, const void *src, uint32_t n)
{
	const unsigned char *in = (const unsigned char *)src;

	for (uint32_t i = 0; i < n; i++)
		sdrv_copy(elems + (size_t)((index + i) & mask) * esize,
			  in + (size_t)i * esize, esize);
}

static SDRV_ALWAYS_INLINE void
sdrv_ring_spsc__copy_out(void *dst, const unsigned char *elems, uint32_t mask,
			 uint32_t esize, uint32_t index, uint32_t n)
{
	unsigned char *out = (unsigned char *)dst;

	for (uint32_t i = 0; i < n; i++)
		sdrv_copy(out + (size_t)i * esize,
			  elems + (size_t)((index + i) & mask) * esize, esize);
	sdrv_compiler_barrier();
}

static SDRV_ALWAYS_INLINE uint32_t
sdrv_ring_spsc__enqueue(struct sdrv_ring_spsc_prod *p, const void *src,
			uint32_t n, uint32_t esize)
{
	uint32_t size = p->mask + 1;
	uint32_t free_slots = size - (p->head - p->tail_seen);

	if (free_slots < n) {
		if (sdrv_unlikely(p->fault))
			return 0;
		/* pairs with the release in sdrv_ring_spsc__dequeue() */
		uint32_t tail = __atomic_load_n(&p->shared->tail,
						     __ATOMIC_ACQUIRE);
		/* The tail moves forward, never past our head. */
		if (sdrv_unlikely((uint32_t)(tail - p->tail_seen) >
				  (uint32_t)(p->head - p->tail_seen))) {
			p->fault = SDRV_RING_FAULT_PEER_INDEX;
			p->fault_index = tail;
			p->tail_seen = p->head - size; /* stay full */
			return 0;
		}
		p->tail_seen = tail;
		free_slots = size - (p->head - tail);
		n = sdrv_ring__min(n, free_slots);
		if (n == 0)
			return 0;
	}
	sdrv_ring_spsc__copy_in(p->elems, p->mask, esize, p->head, src, n);
	p->head += n;
	/* pairs with the acquire in sdrv_ring_spsc__dequeue() */
	__atomic_store_n(&p->shared->head, p->head, __ATOMIC_RELEASE);
	return n;
}

static SDRV_ALWAYS_INLINE uint32_t
sdrv_ring_spsc__dequeue(struct sdrv_ring_spsc_cons *c, void *dst, uint32_t n,
			uint32_t esize)
{
	uint32_t avail = c->head_seen - c->tail;

	if (avail < n) {
		if (sdrv_unlikely(c->fault))
			return 0;
		/* pairs with the release in sdrv_ring_spsc__enqueue() */
		uint32_t head = __atomic_load_n(&c->shared->head,
						     __ATOMIC_ACQUIRE);
		/* The head moves forward, at most a ring ahead of our tail. */
		if (sdrv_unlikely((uint32_t)(head - c->head_seen) >
				  (uint32_t)(c->tail + c->mask + 1 -
					     c->head_seen))) {
			c->fault = SDRV_RING_FAULT_PEER_INDEX;
			c->fault_index = head;
			c->head_seen = c->tail; /* stay empty */
			return 0;
		}
		c->head_seen = head;
		avail = head - c->tail;
		n = sdrv_ring__min(n, avail);
		if (n == 0)
			return 0;
	}
	sdrv_ring_spsc__copy_out(dst, c->elems, c->mask, esize, c->tail, n);
	c->tail += n;
	/* pairs with the acquire in sdrv_ring_spsc__enqueue() */
	__atomic_store_n(&c->shared->tail, c->tail, __ATOMIC_RELEASE);
	return n;
}

/**
 * sdrv_ring_spsc_enqueue_burst() - copy up to @n elements from @src in.
 * Return: how many were enqueued (0 when full or broken).  Producer thread.
 */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_spsc_enqueue_burst(struct sdrv_ring_spsc_prod *p,
						    const void *src, uint32_t n)
{
	return sdrv_ring_spsc__enqueue(p, src, n, p->elem_size);
}

/**
 * sdrv_ring_spsc_dequeue_burst() - copy up to @n elements out into @dst.
 * Return: how many were dequeued (0 when empty or broken).  Consumer thread.
 */
static SDRV_ALWAYS_INLINE uint32_t sdrv_ring_spsc_dequeue_burst(struct sdrv_ring_spsc_cons *c,
						    void *dst, uint32_t n)
{
	return sdrv_ring_spsc__dequeue(c, dst, n, c->elem_size);
}

/**
 * SDRV_RING_SPSC_DEFINE() - typed burst functions for elements of @type:
 * name##_enqueue_burst(prod, const type *, n) and
 * name##_dequeue_burst(cons, type *, n).
 */
#define SDRV_RING_SPSC_DEFINE(name, type)                                      \
	static inline SDRV_MAYBE_UNUSED uint32_t name##_enqueue_burst(                           \
		struct sdrv_ring_spsc_prod *p, const type *src, uint32_t n)    \
	{                                                                      \
		return sdrv_ring_spsc__enqueue(p, src, n, sizeof(type));       \
	}                                                                      \
	static inline SDRV_MAYBE_UNUSED uint32_t name##_dequeue_burst(                           \
		struct sdrv_ring_spsc_cons *c, type *dst, uint32_t n)          \
	{                                                                      \
		return sdrv_ring_spsc__dequeue(c, dst, n, sizeof(type));       \
	}                                                                      \
	struct sdrv_ring_spsc__##name##_semicolon_sink

#ifdef __cplusplus
}
#endif

#endif /* SPLITDRV_RING_SPSC_H */

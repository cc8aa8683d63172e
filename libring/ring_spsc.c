/* SPDX-License-Identifier: MIT */
/*
 * libring/ring_spsc.c - setup of the general SPSC ring (the data path is
 * inline in include/splitdrv/ring_spsc.h).  Freestanding: no libc.
 */
#include <splitdrv/ring_spsc.h>

#define MAX_ELEMS (1u << 30)

static bool geometry_ok(uint32_t nr_elems, uint32_t elem_size)
{
	size_t bytes;

	if (nr_elems < 2 || nr_elems > MAX_ELEMS ||
	    (nr_elems & (nr_elems - 1)) != 0 || elem_size == 0)
		return false;
	return !__builtin_mul_overflow((size_t)nr_elems, (size_t)elem_size,
				       &bytes) &&
	       !__builtin_add_overflow(bytes, (size_t)SDRV_RING_SPSC_HEADER_SIZE,
				       &bytes);
}

static bool shared_ok(const struct sdrv_ring_spsc_shared *shared)
{
	return shared && ((uintptr_t)shared & 127) == 0;
}

SDRV_PUBLIC size_t sdrv_ring_spsc_memsize(uint32_t nr_elems, uint32_t elem_size)
{
	if (!geometry_ok(nr_elems, elem_size))
		return 0;
	return SDRV_RING_SPSC_HEADER_SIZE + (size_t)nr_elems * elem_size;
}

SDRV_PUBLIC int sdrv_ring_spsc_init(struct sdrv_ring_spsc_shared *shared,
				    uint32_t nr_elems, uint32_t elem_size)
{
	if (!shared_ok(shared) || !geometry_ok(nr_elems, elem_size))
		return -SDRV_EINVAL;
	__atomic_store_n(&shared->head, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&shared->tail, 0, __ATOMIC_RELAXED);
	/* The caller hands the memory over (thread start, fork, mapping),
	 * which orders these stores before either side's first read. */
	return 0;
}

/*
 * Read both shared indices once for an attaching side; they must describe at
 * most a full ring.  Relaxed: attaching is ordered by whatever handed the
 * memory over, and the data path re-reads with acquire.
 */
static int read_indices(struct sdrv_ring_spsc_shared *shared, uint32_t nr_elems,
			uint32_t *head, uint32_t *tail)
{
	/* Acquire: a side attaching while its peer already runs goes on to
	 * use the slots these indices cover (the consumer reads up to head,
	 * the producer writes behind tail) without loading them again.
	 * Relaxed here was a data race, caught by ThreadSanitizer. */
	*head = __atomic_load_n(&shared->head, __ATOMIC_ACQUIRE);
	*tail = __atomic_load_n(&shared->tail, __ATOMIC_ACQUIRE);
	return (uint32_t)(*head - *tail) <= nr_elems ? 0 : -SDRV_EPROTO;
}

SDRV_PUBLIC SDRV_COLD int
sdrv_ring_spsc_prod_attach(struct sdrv_ring_spsc_prod *prod,
			   struct sdrv_ring_spsc_shared *shared,
			   uint32_t nr_elems, uint32_t elem_size)
{
	uint32_t head, tail;
	int err;

	if (!prod || !shared_ok(shared) || !geometry_ok(nr_elems, elem_size))
		return -SDRV_EINVAL;
	err = read_indices(shared, nr_elems, &head, &tail);
	if (err)
		return err;
	/* Field by field: no memcpy in a freestanding guest. */
	prod->shared = shared;
	prod->elems = (unsigned char *)shared + SDRV_RING_SPSC_HEADER_SIZE;
	prod->mask = nr_elems - 1;
	prod->elem_size = elem_size;
	prod->head = head;
	prod->tail_seen = tail;
	prod->fault = SDRV_RING_HEALTHY;
	prod->fault_index = 0;
	return 0;
}

SDRV_PUBLIC SDRV_COLD int
sdrv_ring_spsc_cons_attach(struct sdrv_ring_spsc_cons *cons,
			   struct sdrv_ring_spsc_shared *shared,
			   uint32_t nr_elems, uint32_t elem_size)
{
	uint32_t head, tail;
	int err;

	if (!cons || !shared_ok(shared) || !geometry_ok(nr_elems, elem_size))
		return -SDRV_EINVAL;
	err = read_indices(shared, nr_elems, &head, &tail);
	if (err)
		return err;
	cons->shared = shared;
	cons->elems = (unsigned char *)shared + SDRV_RING_SPSC_HEADER_SIZE;
	cons->mask = nr_elems - 1;
	cons->elem_size = elem_size;
	cons->tail = tail;
	cons->head_seen = head;
	cons->fault = SDRV_RING_HEALTHY;
	cons->fault_index = 0;
	return 0;
}

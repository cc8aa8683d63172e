/* SPDX-License-Identifier: MIT */
/*
 * libring/ring.c - setup of the Xen shared ring (the data path is inline in
 * include/splitdrv/ring.h).  Freestanding: no libc.
 */
#include <splitdrv/ring.h>

static uint32_t round_down_pow2(uint32_t x)
{
	return x ? (uint32_t)1 << (31 - __builtin_clz(x)) : 0;
}

static bool ring_bytes_ok(size_t ring_bytes)
{
	return ring_bytes >= SDRV_PAGE_SIZE &&
	       ring_bytes % SDRV_PAGE_SIZE == 0 &&
	       ring_bytes <= ((size_t)SDRV_PAGE_SIZE << SDRV_RING_MAX_PAGE_ORDER);
}

SDRV_PUBLIC uint32_t sdrv_ring_nr_slots(size_t ring_bytes, size_t slot_size)
{
	if (slot_size == 0 || ring_bytes <= SDRV_SRING_HEADER_SIZE ||
	    ring_bytes > ((size_t)SDRV_PAGE_SIZE << SDRV_RING_MAX_PAGE_ORDER))
		return 0;
	return round_down_pow2(
		(uint32_t)((ring_bytes - SDRV_SRING_HEADER_SIZE) / slot_size));
}

SDRV_PUBLIC int sdrv_ring_sring_init(void *shared, size_t ring_bytes)
{
	struct sdrv_sring *sring = shared;

	if (!sring || ring_bytes < SDRV_SRING_HEADER_SIZE)
		return -SDRV_EINVAL;
	/* Nobody else looks at the ring yet: relaxed stores suffice; granting
	 * the page to the peer publishes them. */
	__atomic_store_n(&sring->req_prod, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sring->rsp_prod, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sring->req_event, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&sring->rsp_event, 1, __ATOMIC_RELAXED);
	for (size_t i = 0; i < sizeof(sring->pvt); i++)
		sring->pvt[i] = 0;
	for (size_t i = 0; i < sizeof(sring->pad); i++)
		sring->pad[i] = 0;
	return 0;
}

/* The checks and arithmetic both handles share. */
static int geometry(void *shared, size_t ring_bytes, size_t slot_size,
		    size_t req_size, size_t rsp_size, uint32_t *nr_slots)
{
	if (!shared || slot_size == 0 || req_size == 0 || rsp_size == 0 ||
	    req_size > slot_size || rsp_size > slot_size)
		return -SDRV_EINVAL;
	if (ring_bytes > ((size_t)SDRV_PAGE_SIZE << SDRV_RING_MAX_PAGE_ORDER))
		return -SDRV_ERANGE;
	if (!ring_bytes_ok(ring_bytes))
		return -SDRV_EINVAL;
	*nr_slots = sdrv_ring_nr_slots(ring_bytes, slot_size);
	return *nr_slots ? 0 : -SDRV_EINVAL;
}

SDRV_PUBLIC SDRV_COLD int sdrv_ring_front_attach(struct sdrv_ring_front *front,
						void *shared, size_t ring_bytes,
						size_t slot_size,
						size_t req_size,
						size_t rsp_size,
						uint32_t start_index)
{
	uint32_t nr_slots;
	int err;

	if (!front)
		return -SDRV_EINVAL;
	err = geometry(shared, ring_bytes, slot_size, req_size, rsp_size,
		       &nr_slots);
	if (err)
		return err;
	/* Field by field: a compound literal would make some compilers call
	 * memcpy, which a freestanding guest may not have. */
	front->sring = shared;
	front->slots = (unsigned char *)shared + SDRV_SRING_HEADER_SIZE;
	front->mask = nr_slots - 1;
	front->slot_size = (uint32_t)slot_size;
	front->req_size = (uint32_t)req_size;
	front->rsp_size = (uint32_t)rsp_size;
	front->req_prod_pvt = start_index;
	front->req_prod_pub = start_index;
	front->rsp_cons = start_index;
	front->rsp_prod_seen = start_index;
	front->fault = SDRV_RING_HEALTHY;
	front->fault_index = 0;
	return 0;
}

SDRV_PUBLIC SDRV_COLD int sdrv_ring_back_attach(struct sdrv_ring_back *back,
					       void *shared, size_t ring_bytes,
					       size_t slot_size,
					       size_t req_size,
					       size_t rsp_size,
					       uint32_t start_index)
{
	uint32_t nr_slots;
	int err;

	if (!back)
		return -SDRV_EINVAL;
	err = geometry(shared, ring_bytes, slot_size, req_size, rsp_size,
		       &nr_slots);
	if (err)
		return err;
	back->sring = shared;
	back->slots = (unsigned char *)shared + SDRV_SRING_HEADER_SIZE;
	back->mask = nr_slots - 1;
	back->slot_size = (uint32_t)slot_size;
	back->req_size = (uint32_t)req_size;
	back->rsp_size = (uint32_t)rsp_size;
	back->rsp_prod_pvt = start_index;
	back->rsp_prod_pub = start_index;
	back->req_cons = start_index;
	back->req_prod_seen = start_index;
	back->fault = SDRV_RING_HEALTHY;
	back->fault_index = 0;
	return 0;
}

SDRV_PUBLIC const char *sdrv_ring_fault_name(enum sdrv_ring_fault fault)
{
	switch (fault) {
	case SDRV_RING_HEALTHY:
		return "healthy";
	case SDRV_RING_FAULT_PEER_INDEX:
		return "peer producer index out of range";
	}
	return "unknown fault";
}

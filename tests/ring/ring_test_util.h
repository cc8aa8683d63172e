/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the ring tests. */
#ifndef RING_TEST_UTIL_H
#define RING_TEST_UTIL_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <splitdrv/ring.h>

/* A ring in heap memory of exactly @bytes, so ASan flags any access past
 * its end.  Initialised as a front would. */
static inline void *ring_mem_new(size_t bytes)
{
	void *mem = aligned_alloc(SDRV_PAGE_SIZE, bytes);

	cr_assert_not_null(mem);
	memset(mem, 0xA5, bytes);
	cr_assert_eq(sdrv_ring_sring_init(mem, bytes), 0);
	return mem;
}

/* xorshift64*: reproducible pseudo-random numbers for hostile-input loops. */
static inline uint64_t test_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/common.h - small definitions shared by every public header.
 *
 * Freestanding: only compiler built-ins and <stdint.h>/<stddef.h>/<stdbool.h>.
 */
#ifndef SPLITDRV_COMMON_H
#define SPLITDRV_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols of libsplitdrv are hidden unless marked; the version script picks
 * the exported set from those. */
#define SDRV_PUBLIC __attribute__((visibility("default")))

/* Setup and teardown: kept out of the hot text. */
#define SDRV_COLD __attribute__((cold))

#define SDRV_ALWAYS_INLINE inline __attribute__((always_inline))

#define sdrv_likely(x) __builtin_expect(!!(x), 1)
#define sdrv_unlikely(x) __builtin_expect(!!(x), 0)

/*
 * A compiler-only barrier.  After copying a slot out of shared memory we
 * issue one so the compiler cannot re-read the shared source in place of the
 * private copy (a "double fetch" the peer could race).  Costs no instruction.
 */
#define sdrv_compiler_barrier() __asm__ __volatile__("" ::: "memory")

/*
 * Copy @bytes between non-overlapping buffers without calling memcpy (not
 * there in a freestanding guest).  Constant sizes become a few moves; runtime
 * sizes go word by word.
 */
/* GCC cannot see that the word loop never runs for items under 8 bytes and
 * warns about it when inlined next to a small array. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
static inline __attribute__((always_inline)) void
sdrv_copy(void *dst, const void *src, size_t bytes)
{
	if (__builtin_constant_p(bytes)) {
		__builtin_memcpy(dst, src, bytes);
		return;
	}
	unsigned char *d = (unsigned char *)dst;
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0;

	for (; i + 8 <= bytes; i += 8)
		__builtin_memcpy(d + i, s + i, 8);
	for (; i < bytes; i++)
		d[i] = s[i];
}
#pragma GCC diagnostic pop

/* The unit of sharing between CPUs on every target we build for. */
#define SDRV_CACHE_LINE 64u

/* The Xen page: rings, grants and XenStore pages are this size. */
#define SDRV_PAGE_SIZE 4096u
#define SDRV_PAGE_SHIFT 12u

#ifdef __cplusplus
}
#endif

#endif /* SPLITDRV_COMMON_H */

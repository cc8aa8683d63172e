/* SPDX-License-Identifier: MIT */
/*
 * tests/abi_assert.h - compile-time proof that one of our wire definitions
 * equals Xen's (invariant 1).  Used by every test-abi-*.c.
 */
#ifndef TESTS_ABI_ASSERT_H
#define TESTS_ABI_ASSERT_H

#include <stddef.h>

#define SAME_SIZE(ours, theirs)                                                \
	_Static_assert(sizeof(ours) == sizeof(theirs), #ours " size")
/* Same offset and size, for fields that may be named differently. */
#define SAME_FIELD(ours, theirs, ofield, tfield)                               \
	_Static_assert(offsetof(ours, ofield) == offsetof(theirs, tfield) &&   \
			       sizeof(((ours *)0)->ofield) ==                  \
				       sizeof(((theirs *)0)->tfield),          \
		       #ours "." #ofield)
#define SAME_VALUE(ours, theirs) _Static_assert((ours) == (theirs), #ours)

#endif

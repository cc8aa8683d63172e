/* SPDX-License-Identifier: MIT */
/*
 * support/msg64.h - the 64-byte request/response used by tests and ringperf
 * (one slot per cache line), its libring ring, and the payload every side
 * writes and checks.
 */
#ifndef SUPPORT_MSG64_H
#define SUPPORT_MSG64_H

#include <stdint.h>

#include <splitdrv/ring.h>

struct msg64 {
	uint64_t w[8];
};

SDRV_RING_DEFINE(msg64, struct msg64, struct msg64);

#define MSG64_REQ_SALT 0x1111u
#define MSG64_RSP_SALT 0x2222u

static inline uint64_t msg64_word(uint64_t seq, uint64_t salt, int i)
{
	return (seq * 0x9E3779B97F4A7C15ull) ^ (salt + (uint64_t)i);
}

static inline void msg64_fill(struct msg64 *m, uint64_t seq, uint64_t salt)
{
	m->w[0] = seq;
	for (int i = 1; i < 8; i++)
		m->w[i] = msg64_word(seq, salt, i);
}

/* 1 if @m carries sequence number @seq with the given salt. */
static inline int msg64_check(const struct msg64 *m, uint64_t seq,
			      uint64_t salt)
{
	if (m->w[0] != seq)
		return 0;
	for (int i = 1; i < 8; i++)
		if (m->w[i] != msg64_word(seq, salt, i))
			return 0;
	return 1;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * bench/ringperf/rt_types.h - the three slot types of the round-trip
 * workloads, each as the RT_* macros a template expects, then the
 * template (RT_TEMPLATE, defined by the includer) once per type: rt.c's
 * threaded sides (rt_template.h), insn.c's lock-step loops
 * (insn_template.h).  Include once per translation unit.
 */
#include <splitdrv/blkif.h>
#include <splitdrv/netif.h>

#include "xen_peer.h"

/* 64-byte messages: the whole slot is payload. */
#define RT_NAME m64
#define RT_LIB msg64
#define RT_XEN xmsg64
#define RT_REQ struct msg64
#define RT_RSP struct msg64
#define RT_XREQ struct msg64
#define RT_XRSP struct msg64
#define RT_FILL_REQ(r, seq)                                                    \
	do {                                                                   \
		_Pragma("GCC unroll 8") for (int w_ = 0; w_ < 8; w_++)         \
			(r)->w[w_] = (seq) + (uint64_t)w_;                     \
	} while (0)
#define RT_REQ_OK(r, seq) ((r)->w[0] == (seq) && (r)->w[7] == (seq) + 7)
#define RT_FILL_RSP(r, seq) RT_FILL_REQ(r, ~(uint64_t)(seq))
#define RT_RSP_OK(r, seq) ((r)->w[0] == ~(uint64_t)(seq))
#include RT_TEMPLATE
#include "rt_types_end.h"

/* blkif: a one-segment read and its response. */
#define RT_NAME blk
#define RT_LIB sdrv_blkif
#define RT_XEN blkif
#define RT_REQ struct sdrv_blkif_request
#define RT_RSP struct sdrv_blkif_response
#define RT_XREQ blkif_request_t
#define RT_XRSP blkif_response_t
#define RT_FILL_REQ(r, seq)                                                    \
	do {                                                                   \
		(r)->operation = BLKIF_OP_READ;                                \
		(r)->nr_segments = 1;                                          \
		(r)->handle = 0;                                               \
		(r)->id = (seq);                                               \
		(r)->sector_number = (seq) * 8;                                \
		(r)->seg[0].gref = (uint32_t)(seq);                            \
		(r)->seg[0].first_sect = 0;                                    \
		(r)->seg[0].last_sect = 7;                                     \
	} while (0)
#define RT_REQ_OK(r, seq) ((r)->id == (seq) && (r)->nr_segments == 1)
#define RT_FILL_RSP(r, seq)                                                    \
	do {                                                                   \
		(r)->id = (seq);                                               \
		(r)->operation = BLKIF_OP_READ;                                \
		(r)->status = BLKIF_RSP_OKAY;                                  \
	} while (0)
#define RT_RSP_OK(r, seq) ((r)->id == (seq) && (r)->status == 0)
#include RT_TEMPLATE
#include "rt_types_end.h"

/* netif tx: a 64-byte packet in one slot and its response. */
#define RT_NAME ntx
#define RT_LIB sdrv_netif_tx
#define RT_XEN netif_tx
#define RT_REQ struct sdrv_netif_tx_request
#define RT_RSP struct sdrv_netif_tx_response
#define RT_XREQ netif_tx_request_t
#define RT_XRSP netif_tx_response_t
#define RT_FILL_REQ(r, seq)                                                    \
	do {                                                                   \
		(r)->gref = (uint32_t)(seq);                                   \
		(r)->offset = 0;                                               \
		(r)->flags = 0;                                                \
		(r)->id = (uint16_t)(seq);                                     \
		(r)->size = 64;                                                \
	} while (0)
#define RT_REQ_OK(r, seq) ((r)->id == (uint16_t)(seq) && (r)->size == 64)
#define RT_FILL_RSP(r, seq)                                                    \
	do {                                                                   \
		(r)->id = (uint16_t)(seq);                                     \
		(r)->status = NETIF_RSP_OKAY;                                  \
	} while (0)
#define RT_RSP_OK(r, seq) ((r)->id == (uint16_t)(seq) && (r)->status == 0)
#include RT_TEMPLATE
#include "rt_types_end.h"

/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/netif.h - the Xen network device protocol (netif): wire
 * structures and the typed tx and rx rings.  Layouts equal Xen's
 * <xen/io/netif.h>, proven in tests/ring/test-abi-xen.c.
 *
 * XenStore (netfront and netback issues build on these):
 *   frontend /local/domain/<D>/device/vif/<id>/
 *     tx-ring-ref, rx-ring-ref, event-channel (or event-channel-tx/-rx),
 *     request-rx-copy, feature-sg, feature-gso-tcpv4, state
 *   backend  /local/domain/0/backend/vif/<D>/<id>/
 *     mac, handle, feature-sg, feature-rx-copy, feature-gso-tcpv4, state
 *
 * XenBus states: Initialising -> InitWait (back) -> Initialised (front) ->
 * Connected -> Closing -> Closed.
 *
 * Transmit: the front posts tx requests (a granted buffer each, chained with
 * MORE_DATA, followed by extra-info slots when EXTRA_INFO is set); the back
 * answers each with a tx response.  Receive: the front posts empty granted
 * buffers as rx requests; the back fills them and answers with rx responses.
 */
#ifndef SPLITDRV_NETIF_H
#define SPLITDRV_NETIF_H

#include <splitdrv/common.h>
#include <splitdrv/ring.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The L4 checksum is left for the backend to finish (partial). */
#define SDRV_NETTXF_CSUM_BLANK (1u << 0)
#define SDRV_NETTXF_DATA_VALIDATED (1u << 1)
#define SDRV_NETTXF_MORE_DATA (1u << 2)
#define SDRV_NETTXF_EXTRA_INFO (1u << 3)

#define SDRV_NETRXF_DATA_VALIDATED (1u << 0)
#define SDRV_NETRXF_CSUM_BLANK (1u << 1)
#define SDRV_NETRXF_MORE_DATA (1u << 2)
#define SDRV_NETRXF_EXTRA_INFO (1u << 3)

#define SDRV_NETIF_RSP_DROPPED (-2)
#define SDRV_NETIF_RSP_ERROR (-1)
#define SDRV_NETIF_RSP_OKAY 0
#define SDRV_NETIF_RSP_NULL 1

#define SDRV_NETIF_MAX_TX_SIZE 0xFFFFu

#define SDRV_NETIF_EXTRA_TYPE_NONE 0
#define SDRV_NETIF_EXTRA_TYPE_GSO 1
#define SDRV_NETIF_EXTRA_TYPE_MCAST_ADD 2
#define SDRV_NETIF_EXTRA_TYPE_MCAST_DEL 3
#define SDRV_NETIF_EXTRA_TYPE_HASH 4
#define SDRV_NETIF_EXTRA_FLAG_MORE (1u << 0)

/* The GSO extra's type: what the large frame is to be cut into. */
#define SDRV_NETIF_GSO_TYPE_NONE 0
#define SDRV_NETIF_GSO_TYPE_TCPV4 1
#define SDRV_NETIF_GSO_TYPE_TCPV6 2

struct sdrv_netif_tx_request {
	uint32_t gref;
	uint16_t offset;
	uint16_t flags; /* SDRV_NETTXF_* */
	uint16_t id;
	uint16_t size; /* first slot: the whole packet; others: this slot */
};

struct sdrv_netif_tx_response {
	uint16_t id;
	int16_t status;
};

/* Follows a request or response that has the EXTRA_INFO flag. */
struct sdrv_netif_extra_info {
	uint8_t type;
	uint8_t flags;
	union {
		struct {
			uint16_t size;
			uint8_t type;
			uint8_t pad;
			uint16_t features;
		} gso;
		struct {
			uint8_t addr[6];
		} mcast;
		struct {
			uint8_t type;
			uint8_t algorithm;
			uint8_t value[4];
		} hash;
		uint16_t pad[3];
	} u;
};

struct sdrv_netif_rx_request {
	uint16_t id;
	uint16_t pad;
	uint32_t gref;
};

struct sdrv_netif_rx_response {
	uint16_t id;
	uint16_t offset;
	uint16_t flags; /* SDRV_NETRXF_* */
	int16_t status; /* > 0: bytes received; < 0: SDRV_NETIF_RSP_* */
};

SDRV_STATIC_ASSERT(sizeof(struct sdrv_netif_tx_request) == 12, "tx request");
SDRV_STATIC_ASSERT(sizeof(struct sdrv_netif_tx_response) == 4, "tx response");
SDRV_STATIC_ASSERT(sizeof(struct sdrv_netif_extra_info) == 8, "extra info");
SDRV_STATIC_ASSERT(sizeof(struct sdrv_netif_rx_request) == 8, "rx request");
SDRV_STATIC_ASSERT(sizeof(struct sdrv_netif_rx_response) == 8, "rx response");

SDRV_RING_DEFINE(sdrv_netif_tx, struct sdrv_netif_tx_request,
		 struct sdrv_netif_tx_response);
SDRV_RING_DEFINE(sdrv_netif_rx, struct sdrv_netif_rx_request,
		 struct sdrv_netif_rx_response);

#ifdef __cplusplus
}
#endif

#endif /* SPLITDRV_NETIF_H */

/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/netfront.h - a guest's virtual network interface: the netif
 * frontend.
 *
 * sdrv_netfront_open() does the XenBus handshake with the backend named in
 * the vif's XenStore directory (Linux's keys: tx-ring-ref, rx-ring-ref,
 * event-channel or event-channel-tx and -rx, request-rx-copy, feature-sg,
 * feature-rx-notify, multi-queue-num-queues and each queue's keys under
 * queue-N/) and reads the MAC address the toolstack gave it.  It takes
 * what the backend offers of several queues (as many as the config asks,
 * up to multi-queue-max-queues), split event channels (one per ring) and
 * scatter-gather (frames over several slots, up to 65535 bytes), and works
 * with the base protocol alone: one queue, one event channel, frames of
 * one slot (an MTU of 1500, as Linux's netfront without feature-sg),
 * rx-copy.
 *
 * Queues: each has its own two rings, channels and buffers; a backend
 * serves them in parallel (netback-dpdk, one lcore each).  The plain calls
 * send each frame on its flow's queue (IPv4/IPv6 addresses and TCP/UDP
 * ports: a flow keeps its order) and receive from every queue in turn;
 * sdrv_netfront_queue_send_burst() and _recv_burst() name one queue, as a
 * DPDK port's queues do.
 *
 * Its buffers are its own pages, granted once for the connection's life:
 * one per transmit slot (read-only: a packet is copied into it, the
 * backend copies it out) and one per receive slot (the backend copies a
 * packet in; the frontend copies it out to the caller before the slot is
 * posted again).  No page is handed back to the allocator while the
 * backend may still reach it.
 *
 * The backend is hostile: a negative status, offset + length beyond the
 * page, a frame shorter than an Ethernet header, a chain of more than 18
 * slots or longer than the caller's buffer, a chain ending at the
 * backend's producer index (it pushes a frame whole), any chain when we
 * asked for the base protocol, an extra info slot of a type we do not
 * know or a GSO one of size 0: the frame is dropped and counted; a
 * response index out of range, a response naming no buffer posted or
 * packet in flight, or extra info when we did not ask for GSO breaks the
 * device (sdrv_netfront_broken() says why).
 *
 * Freestanding: memory from the platform, no libc.  One thread drives a
 * device, all its queues.
 */
#ifndef SPLITDRV_NETFRONT_H
#define SPLITDRV_NETFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitdrv/common.h>
#include <splitdrv/netif.h>
#include <splitdrv/xs.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sdrv_platform;
struct sdrv_netfront;

struct sdrv_netfront_config {
	int timeout_ms; /* for the handshake (default 10000) */
	/* The caller polls sdrv_netfront_recv*() and never sleeps in
	 * sdrv_netfront_wait(): the backend is never asked to notify (a
	 * poll-mode driver saves the notifications and the cache-line
	 * traffic of asking). */
	bool polled;
	/* Ask for the base protocol alone even where the backend offers
	 * more (one queue, one event channel, ...): what an old frontend
	 * does. */
	bool base_protocol;
	/* Take GSO frames on receive (feature-gso-tcpv4 and -tcpv6, with
	 * scatter-gather): TCP frames of up to 65535 bytes, each with its
	 * gso_size and a blank checksum (SDRV_NETFRONT_F_CSUM_BLANK), to be
	 * cut or handed on whole (a TAP device with a virtio-net header
	 * takes them).  The receive buffers must then be that large. */
	bool gso;
	/* Queues to ask for (0: 1), at most SDRV_NETFRONT_MAX_QUEUES; the
	 * backend's multi-queue-max-queues caps them, and so do the domain's
	 * memory and grant table: each queue takes one page and one grant
	 * for every slot of its two rings (514 with pages of 4 KiB), and a
	 * queue that does not fit is not asked for (info.queues says). */
	unsigned queues;
};

#define SDRV_NETFRONT_MAX_QUEUES 8u

/* The largest frame either way: 65535 bytes (netif's 16-bit size), over
 * several slots of a page.  Without scatter-gather (the backend did not
 * offer feature-sg) frames are one slot, 4096 bytes: info.max_packet says
 * which. */
#define SDRV_NETFRONT_MAX_PACKET 65535u

struct sdrv_netfront_info {
	uint8_t mac[6]; /* from the toolstack's "mac" key */
	unsigned tx_slots, rx_slots;
	/* Negotiated: one event channel per ring (the backend offered
	 * feature-split-event-channels, and we did not ask for the base
	 * protocol alone). */
	bool split_event_channels;
	/* Negotiated: frames we send may take several slots (the backend
	 * offered feature-sg); we take them over several buffers anyway
	 * unless asked for the base protocol alone. */
	bool sg;
	size_t max_packet; /* the longest frame sdrv_netfront_send() takes */
	/* Negotiated: queues, each with tx_slots and rx_slots. */
	unsigned queues;
	/* The backend takes GSO frames we send (it offered feature-gso-
	 * tcpv4, -tcpv6, and feature-sg): SDRV_NETFRONT_F_GSO_TCPV4/6. */
	bool gso_tcpv4, gso_tcpv6;
	/* We take GSO frames (config.gso, and the backend offered SG). */
	bool gso_receive;
};

struct sdrv_netfront_stats {
	uint64_t tx_packets, tx_bytes, tx_errors; /* errors: the backend said so */
	uint64_t rx_packets, rx_bytes, rx_dropped; /* dropped: malformed answers */
};

/**
 * sdrv_netfront_open() - connect vif @devid of this domain.
 * Return: 0 and *@out; -SDRV_ENOENT (no such vif), -SDRV_ETIMEDOUT (the
 * backend did not answer), -SDRV_EPROTO (its keys are garbage: the reason
 * is in our "error" key), -SDRV_ENOMEM.
 */
SDRV_PUBLIC int sdrv_netfront_open(struct sdrv_platform *p, struct sdrv_xs *xs,
				   uint32_t devid,
				   const struct sdrv_netfront_config *cfg,
				   struct sdrv_netfront **out);

/* Closing, wait for the backend (bounded), Closed, end every grant (a page
 * the backend still maps is leaked, never reused).  Accepts NULL. */
SDRV_PUBLIC void sdrv_netfront_close(struct sdrv_netfront *nf);

SDRV_PUBLIC const struct sdrv_netfront_info *
sdrv_netfront_info(const struct sdrv_netfront *nf);
SDRV_PUBLIC const struct sdrv_netfront_stats *
sdrv_netfront_stats(const struct sdrv_netfront *nf);

/**
 * sdrv_netfront_send() - copy the frame @pkt (@len bytes, 14 to
 * info.max_packet) onto the transmit ring and notify the backend if it
 * asked.
 * Return: 0; -SDRV_EAGAIN (every transmit slot in flight: poll first);
 * -SDRV_EINVAL (a bad length); -SDRV_EIO (broken).
 */
SDRV_PUBLIC int sdrv_netfront_send(struct sdrv_netfront *nf, const void *pkt,
				   size_t len);

/* One frame of a burst: @data and @len to send; @data and @cap to
 * receive into, @len set to the frame's length. */
struct sdrv_netfront_frame {
	void *data;
	size_t len;
	size_t cap;
	unsigned flags; /* SDRV_NETFRONT_F_*: to send, or as received */
	/* With SDRV_NETFRONT_F_GSO_*: the TCP payload of each segment the
	 * frame is to be cut into (its MSS). */
	uint16_t gso_size;
};

/* The frame's TCP or UDP checksum is left for the backend to finish
 * (NETTXF_csum_blank: checksum offload); the field may hold anything.
 * A backend that cannot (the frame is no TCP or UDP over IP) drops it. */
#define SDRV_NETFRONT_F_CSUM_BLANK (1u << 0)
/* The sender vouches for the frame's checksums (NETTXF_data_validated). */
#define SDRV_NETFRONT_F_DATA_VALIDATED (1u << 1)
/* A TCP frame over IPv4 (IPv6) larger than the wire takes, to be cut
 * into segments of gso_size bytes of payload (a GSO extra): sent only
 * when info.gso_tcpv4 (_tcpv6) says the backend takes it, with its TCP
 * checksum blank (SDRV_NETFRONT_F_CSUM_BLANK); received only with
 * config.gso. */
#define SDRV_NETFRONT_F_GSO_TCPV4 (1u << 2)
#define SDRV_NETFRONT_F_GSO_TCPV6 (1u << 3)

/**
 * sdrv_netfront_send_burst() - sdrv_netfront_send() for up to @n frames,
 * each on its flow's queue, with one push of each ring and at most one
 * notification a queue for them all.
 * Stops at the first frame that does not fit the ring or has a bad length
 * or GSO the backend does not take.
 * Return: the number of frames queued (0 when the ring is full);
 * -SDRV_EINVAL (the first frame's length or GSO is bad); -SDRV_EIO
 * (broken).
 */
SDRV_PUBLIC int sdrv_netfront_send_burst(struct sdrv_netfront *nf,
					 const struct sdrv_netfront_frame *f,
					 unsigned n);

/**
 * sdrv_netfront_recv_burst() - sdrv_netfront_recv() for up to @n frames,
 * from every queue in turn (a different one first each call).
 * Return: the number of frames received (each @f[i].len set); -SDRV_EIO
 * (broken, and nothing received).
 */
SDRV_PUBLIC int sdrv_netfront_recv_burst(struct sdrv_netfront *nf,
					 struct sdrv_netfront_frame *f,
					 unsigned n);

/**
 * sdrv_netfront_queue_send_burst() - sdrv_netfront_send_burst() on queue
 * @queue (below info.queues) alone, whatever the frames' flows.
 * Return: as sdrv_netfront_send_burst(); -SDRV_EINVAL also for a queue
 * we do not have.
 */
SDRV_PUBLIC int sdrv_netfront_queue_send_burst(struct sdrv_netfront *nf,
					       unsigned queue,
					       const struct sdrv_netfront_frame *f,
					       unsigned n);

/**
 * sdrv_netfront_queue_recv_burst() - sdrv_netfront_recv_burst() from
 * queue @queue alone (transmit answers of that queue reclaimed too).
 * Return: as sdrv_netfront_recv_burst(); -SDRV_EINVAL for a queue we do
 * not have.
 */
SDRV_PUBLIC int sdrv_netfront_queue_recv_burst(struct sdrv_netfront *nf,
					       unsigned queue,
					       struct sdrv_netfront_frame *f,
					       unsigned n);

/**
 * sdrv_netfront_queue_recv_lend() - sdrv_netfront_queue_recv_burst(), but
 * a frame that came whole in one receive buffer is lent in place instead
 * of copied: @f[i].data is set to point into that page (read only the
 * @f[i].len bytes there; the backend no longer writes it) and @lent[i] to
 * the buffer, which stays out of the ring until
 * sdrv_netfront_queue_give_back() returns it.  Other frames are copied
 * into @f[i].data as by sdrv_netfront_queue_recv_burst(), and @lent[i] is
 * SDRV_NETFRONT_NOT_LENT.  The caller keeps its own buffers' addresses:
 * @f[i].data is overwritten for a lent frame.  Buffers lent when the
 * device closes are never freed (leaked, not reused).
 * Return: as sdrv_netfront_queue_recv_burst().
 */
#define SDRV_NETFRONT_NOT_LENT 0xffffu
SDRV_PUBLIC int sdrv_netfront_queue_recv_lend(struct sdrv_netfront *nf,
					      unsigned queue,
					      struct sdrv_netfront_frame *f,
					      uint16_t *lent, unsigned n);

/**
 * sdrv_netfront_queue_give_back() - buffers @bufs (@n, from
 * sdrv_netfront_queue_recv_lend() on @queue) are the device's again: posted
 * to the backend with the next receive.  Same thread as the receives.
 * Return: 0; -SDRV_EINVAL for a buffer not lent (those before it are
 * back).
 */
SDRV_PUBLIC int sdrv_netfront_queue_give_back(struct sdrv_netfront *nf,
					      unsigned queue,
					      const uint16_t *bufs, unsigned n);

/**
 * sdrv_netfront_recv() - take one received frame into @buf (@cap bytes;
 * a longer frame is dropped and counted), reclaim finished transmits, and
 * post receive buffers again.  Never waits for the backend; call it at
 * least every few hundred milliseconds even when nothing arrives: it is
 * also where a backend that left Connected is noticed (XenStore is asked
 * at most every 200 ms) and connected to again when it comes back (a new
 * backend process after one died, or one that closed and returns), with
 * the same buffers on new rings; frames in flight then are lost.
 * Return: the frame's length; 0 when none waits; -SDRV_EIO (broken).
 */
SDRV_PUBLIC int sdrv_netfront_recv(struct sdrv_netfront *nf, void *buf,
				   size_t cap);

/**
 * sdrv_netfront_wait() - sleep until the backend signals (or @timeout_ms,
 * -1 forever).  Return: 1 signalled, 0 timeout, -errno.  A loop of its
 * own polls sdrv_evtchn_fd() instead and calls sdrv_netfront_recv().
 */
SDRV_PUBLIC int sdrv_netfront_wait(struct sdrv_netfront *nf, int timeout_ms);

/* Times the backend came back (see sdrv_netfront_recv()). */
SDRV_PUBLIC unsigned sdrv_netfront_reconnects(const struct sdrv_netfront *nf);

/**
 * sdrv_netfront_carrier() - whether frames can flow: connected to a
 * backend that says Connected, and not broken (Linux's netfront carrier).
 * It goes off while the backend is away (sdrv_netfront_recv() notices and
 * connects again) and for good when the device breaks.
 */
SDRV_PUBLIC bool sdrv_netfront_carrier(const struct sdrv_netfront *nf);

/* Why the device broke, or NULL while it works. */
SDRV_PUBLIC const char *sdrv_netfront_broken(const struct sdrv_netfront *nf);

#ifdef __cplusplus
}
#endif

#endif /* SPLITDRV_NETFRONT_H */

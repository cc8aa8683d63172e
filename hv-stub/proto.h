/* SPDX-License-Identifier: MIT */
/*
 * hv-stub/proto.h - the messages on hv-stub's control socket.
 *
 * One Unix SOCK_SEQPACKET connection per client: a process domain
 * (platform/hvstub.c) or a toolstack (hvctl).  Every message is one packet:
 * a header, then a payload whose layout the type fixes; file descriptors
 * travel as SCM_RIGHTS.  Each request gets exactly one reply with the same
 * type and seq; status is 0 or -errno (grant ops carry SDRV_GNTST_* per op).
 *
 * hv-stub trusts nothing in a request.  Bytes that are no message (short,
 * or without the magic) close the connection (and so crash that domain, if
 * one is attached); a framed message too long for HVP_MAX_MSG gets
 * -EMSGSIZE, one whose header lies about its length -EBADMSG, a bad
 * payload -EINVAL, an unknown type -ENOSYS: the domain stays.
 */
#ifndef HV_STUB_PROTO_H
#define HV_STUB_PROTO_H

#include <stdint.h>

#include <splitdrv/evtchn.h>
#include <splitdrv/grant.h>

#define HVP_MAGIC 0x50535648u /* "HVSP" */
/* The protocol's version: a domain's process states it when it attaches and
 * hv-stub states its own in the reply; each side refuses another. */
#define HVP_VERSION 2u
#define HVP_MAX_MSG 65536u
#define HVP_MAX_FDS 16u /* per message */
/* What a domain may be (hv-stub's core checks these; hvctl and hv-stub's
 * usage state them). */
#define HVP_MAX_DOMID 32751u /* ids 0 .. 32751, as Xen's */
#define HVP_MIN_DOMAIN_BYTES (6u * 4096u) /* the reserved frames + 1 */
#define HVP_MAX_DOMAIN_BYTES (1u << 30)
#define HVP_NAME_MAX 32u
/* Connections hv-stub keeps at once.  Anyone may connect, so they are
 * shared out: a user other than root or hv-stub's own holds at most
 * HVP_CONNS_PER_USER, and HVP_CONNS_ADMIN are kept for the toolstack
 * (root, hv-stub's user).  A user opening connections by the hundred shuts
 * out neither the toolstack nor another domain's owner; more are closed at
 * once. */
#define HVP_MAX_CONNS 1024u
#define HVP_CONNS_ADMIN 64u
#define HVP_CONNS_PER_USER 128u

struct hvp_hdr {
	uint32_t magic;
	uint16_t type; /* HVP_* */
	uint16_t reserved;
	uint32_t seq; /* echoed in the reply */
	int32_t status; /* reply: 0 or -errno */
	uint32_t len; /* payload bytes after this header */
	uint32_t reserved2;
};

enum hvp_type {
	/* from a process domain */
	HVP_ATTACH = 1, /* hvp_attach -> hvp_attach_reply + fds [memory, upcall] */
	HVP_SHUTDOWN = 2, /* the domain ends on purpose: it is destroyed */
	HVP_GRANT_MAP = 3, /* hvp_map_op[n] -> hvp_map_op[n] (pages: views) */
	HVP_GRANT_UNMAP = 4, /* hvp_map_op[n] (handle) -> status per op */
	HVP_GRANT_COPY = 5, /* sdrv_gnttab_copy[n] -> same, status per seg */
	HVP_EVTCHN_OP = 6, /* hvp_evtchn_op -> same */
	/* sdrv_evtchn_send, one-way: no reply.  The domain itself knows which
	 * of its ports are open (only it opens and closes them), so it checks
	 * the port and does not wait for hv-stub. */
	HVP_EVTCHN_SEND = 7,
	/* The process lets go of its domain, which lives on (Xen's model: a
	 * domain ends when destroyed or shut down): its mappings and
	 * channels are released, except the toolstack's XenStore channel,
	 * and another process may attach. */
	HVP_DETACH = 8,
	/* A privileged domain's process pins and copies grants itself (as
	 * Xen's dom0 maps foreign memory): -> hvp_fastpath + fd [pin log].
	 * Once per connection. */
	HVP_GRANT_FASTPATH = 9,
	/* -> hvp_grant_view + fds [granter memory, its shared pin table];
	 * privileged domains after HVP_GRANT_FASTPATH. */
	HVP_GRANT_VIEW = 10,
	/* hvp_doorbells (port) -> hvp_doorbells + fds [mine, peer's if bound]:
	 * the eventfds of an open interdomain channel, so a notify is one
	 * write by the sender, not two messages through hv-stub. */
	HVP_EVTCHN_DOORBELL = 11,
	/* from a toolstack (peer uid 0 or hv-stub's own) */
	HVP_CREATE = 16, /* hvp_create */
	HVP_DESTROY = 17, /* hvp_domid */
	HVP_LIST = 18, /* -> text */
	HVP_SHOW = 19, /* hvp_domid -> text */
};

struct hvp_domid {
	uint32_t domid;
};

struct hvp_attach {
	uint32_t domid;
	uint32_t version; /* HVP_VERSION */
};

struct hvp_attach_reply {
	uint32_t domid;
	uint32_t nr_frames;
	uint32_t privileged;
	uint32_t xenstore_port; /* 0: the domain has no XenStore */
	uint32_t version; /* HVP_VERSION */
	uint32_t pad;
};

/* Pins a backend holds, one record each (grant/grant_pin.h), in a memfd
 * hv-stub reads if the process dies without dropping them: this header,
 * then the records. */
#define HVP_PIN_LOG_COPY_RECORDS 1024u /* copiers' lanes */
#define HVP_PIN_LOG_HOLD_RECORDS 16384u /* grants held across an I/O */
#define HVP_PIN_LOG_RECORDS (HVP_PIN_LOG_COPY_RECORDS + HVP_PIN_LOG_HOLD_RECORDS)

struct hvp_pin_log {
	/* Bumped by hv-stub each time it destroys a domain: the backend then
	 * drops its views of dead domains. */
	uint64_t deaths;
	uint8_t pad[56];
};
#define HVP_PIN_LOG_BYTES                                                      \
	(sizeof(struct hvp_pin_log) + HVP_PIN_LOG_RECORDS * 24u)

struct hvp_fastpath {
	uint32_t token; /* the backend's active-record lock token */
	uint32_t nr_log; /* records in the pin log */
};

struct hvp_doorbells {
	uint32_t port; /* IN */
	uint32_t peer_bound; /* OUT: 1 if the peer's doorbell follows mine */
	uint64_t epoch; /* OUT: the domain's binding epoch they are good for */
};

struct hvp_grant_view {
	uint32_t domid;
	uint32_t nr_frames; /* of the memory fd */
	uint32_t nr_entries; /* grant entries, at the start of the memory */
	uint32_t first_frame; /* frames below are never pinned */
	uint64_t generation; /* names this incarnation of the domain */
};

/* Map handles a domain holds at most (hv-stub's maptrack): every handle
 * in a map reply is below this. */
#define HVP_MAX_MAP_HANDLES 4096u

/* Largest batch in one message (grant ops). */
#define HVP_MAX_MAP_OPS 1024u
#define HVP_MAX_COPY_SEGS 1024u
/* Bytes one copy message may move (the sum of its segments' lengths):
 * hv-stub serves one message at a time, so this bounds how long another
 * domain's hypercall can wait behind it.  More gets -E2BIG. */
#define HVP_MAX_COPY_BYTES (256u * 1024u)

struct hvp_map_op {
	uint32_t granter; /* IN */
	uint32_t ref; /* IN */
	uint32_t readonly; /* IN */
	int32_t status; /* OUT: SDRV_GNTST_* */
	uint32_t handle; /* OUT of map, IN to unmap */
	uint32_t frame; /* OUT: the pinned frame of the granter's memory */
	uint64_t generation; /* OUT: the granter's incarnation (its view) */
};


struct hvp_evtchn_op {
	int32_t cmd; /* SDRV_EVTCHNOP_* */
	uint32_t pad;
	union {
		struct sdrv_evtchn_alloc_unbound alloc_unbound;
		struct sdrv_evtchn_bind_interdomain bind_interdomain;
		struct sdrv_evtchn_send send;
		struct sdrv_evtchn_close close;
		struct sdrv_evtchn_status status;
	} u;
};

#define HVP_ON_CRASH_DEFAULT 0u /* hv-stub's --on-crash */
#define HVP_ON_CRASH_DESTROY 1u
#define HVP_ON_CRASH_PRESERVE 2u

struct hvp_create {
	uint32_t domid;
	char name[HVP_NAME_MAX]; /* NUL-terminated */
	uint32_t nr_frames;
	uint32_t privileged;
	uint32_t owner_uid; /* who may attach (root always may) */
	uint32_t max_ports; /* 0: the default */
	uint32_t on_crash; /* HVP_ON_CRASH_* */
};

#endif /* HV_STUB_PROTO_H */


/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/evtchn.h - event channels, Xen's 2-level model.
 *
 * Every domain has a shared-info page in its memory.  The hypervisor marks a
 * port pending there; the domain masks and clears ports there itself:
 *
 *   evtchn_pending[w] bit b   port w*64+b has an event (hypervisor sets,
 *                             domain clears)
 *   evtchn_mask[w]    bit b   no upcall for that port (domain only)
 *   vcpu_info[0].evtchn_pending_sel bit w   word w may hold pending ports
 *   vcpu_info[0].evtchn_upcall_pending      an upcall is due
 *
 * A 0->1 pending transition on an unmasked port sets the selector bit, and a
 * 0->1 transition of the selector sets upcall_pending and wakes the domain
 * (here: one write to its upcall eventfd).  So however many events a peer
 * sends, the domain is woken at most once until it rescans, and one rescan
 * visits at most 64 words: the work per wake-up is bounded by the ports the
 * domain has, never by the events sent to it.
 *
 * The layouts are our own spelling of Xen's x86_64 ABI;
 * tests/evtchn/test-abi-evtchn.c proves them equal to xen/xen.h and
 * xen/event_channel.h.  Freestanding: the guest-side scanner below is what a
 * guest kernel's upcall handler runs.
 */
#ifndef SPLITDRV_EVTCHN_H
#define SPLITDRV_EVTCHN_H

#include <stdbool.h>
#include <stdint.h>

#include <splitdrv/common.h>
#include <splitdrv/grant.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t sdrv_evtchn_port_t;

/* 64 words of 64 bits: the 2-level ABI's port space on 64-bit guests. */
#define SDRV_EVTCHN_2L_NR_PORTS 4096u
/* Port 0 is never allocated (Xen reserves it), so 0 can mean "none". */
#define SDRV_EVTCHN_PORT_INVALID 0u

/* Xen's vcpu_info, x86_64: 64 bytes. */
struct sdrv_vcpu_info {
	uint8_t evtchn_upcall_pending;
	uint8_t evtchn_upcall_mask;
	uint8_t pad0[6];
	uint64_t evtchn_pending_sel;
	uint64_t arch[2]; /* cr2, pad */
	uint8_t time[32]; /* vcpu_time_info: unused here */
};

#define SDRV_LEGACY_MAX_VCPUS 32u

/* The start of Xen's shared_info: what event channels use. */
struct sdrv_shared_info {
	struct sdrv_vcpu_info vcpu_info[SDRV_LEGACY_MAX_VCPUS];
	uint64_t evtchn_pending[64];
	uint64_t evtchn_mask[64];
	uint32_t wc_version, wc_sec, wc_nsec, wc_sec_hi;
};

/*
 * hv-stub's one word beyond Xen's layout, in the unused tail of the page:
 * a count it bumps whenever one of the domain's interdomain channels gains
 * or loses its peer.  A process domain that kicks its peers' doorbells
 * directly looks it up again when the count moved.  Xen has no such word;
 * nothing else in the tail is used.
 */
#define SDRV_SHINFO_BINDING_EPOCH_OFFSET (SDRV_PAGE_SIZE - 8u)
SDRV_STATIC_ASSERT(sizeof(struct sdrv_shared_info) <=
			   SDRV_SHINFO_BINDING_EPOCH_OFFSET,
		   "the epoch lies past Xen's shared_info");

/* ---- hypercall arguments (Xen's EVTCHNOP_* structs) ----------------- */

struct sdrv_evtchn_alloc_unbound {
	sdrv_domid_t dom, remote_dom; /* IN */
	sdrv_evtchn_port_t port; /* OUT */
};

struct sdrv_evtchn_bind_interdomain {
	sdrv_domid_t remote_dom; /* IN */
	sdrv_evtchn_port_t remote_port; /* IN */
	sdrv_evtchn_port_t local_port; /* OUT */
};

struct sdrv_evtchn_send {
	sdrv_evtchn_port_t port;
};

struct sdrv_evtchn_close {
	sdrv_evtchn_port_t port;
};

#define SDRV_EVTCHNSTAT_closed 0 /* not in use */
#define SDRV_EVTCHNSTAT_unbound 1 /* waiting for a remote domain to bind */
#define SDRV_EVTCHNSTAT_interdomain 2 /* connected to a remote domain */

struct sdrv_evtchn_status {
	sdrv_domid_t dom; /* IN */
	sdrv_evtchn_port_t port; /* IN */
	uint32_t status; /* OUT: SDRV_EVTCHNSTAT_* */
	uint32_t vcpu; /* OUT */
	union {
		struct {
			sdrv_domid_t dom;
		} unbound;
		struct {
			sdrv_domid_t dom;
			sdrv_evtchn_port_t port;
		} interdomain;
	} u;
};

/* ---- the domain's side of the 2-level bitmaps (freestanding) ------- */

/* Mask @port: no upcall for it until unmasked; events still mark it. */
SDRV_PUBLIC void sdrv_evtchn_2l_mask(struct sdrv_shared_info *s,
				     sdrv_evtchn_port_t port);

/**
 * sdrv_evtchn_2l_unmask() - clear @port's mask.  An event that arrived while
 * masked raised no upcall (Xen loses the edge): if @port is pending, this
 * sets the selector and upcall_pending the way the hypervisor would have.
 * Return: true if the caller must wake the domain (upcall_pending went
 * 0->1), i.e. write its own upcall eventfd.
 */
SDRV_PUBLIC bool sdrv_evtchn_2l_unmask(struct sdrv_shared_info *s,
				       sdrv_evtchn_port_t port);

/**
 * sdrv_evtchn_2l_set_pending() - mark @port pending as the hypervisor does
 * (Xen's evtchn_2l_set_pending()): an upcall becomes due only when the
 * port went pending while unmasked and the selector bit and
 * upcall_pending were clear, so a flood on one port costs one wake-up.
 * hv-stub runs it on a receiver's page; a receiver runs it on its own page
 * for a doorbell rung by its peer.
 * Return: true if the domain must be woken (upcall_pending went 0->1).
 */
SDRV_PUBLIC bool sdrv_evtchn_2l_set_pending(struct sdrv_shared_info *s,
					    sdrv_evtchn_port_t port);

/* Whether @port is marked pending now. */
SDRV_PUBLIC bool sdrv_evtchn_2l_is_pending(const struct sdrv_shared_info *s,
					   sdrv_evtchn_port_t port);

/**
 * struct sdrv_evtchn_scanner - walks the pending ports after an upcall.
 * Ports come out round-robin from where the last scan stopped, so a busy low
 * port cannot hide a high one.
 */
struct sdrv_evtchn_scanner {
	struct sdrv_shared_info *shinfo;
	uint64_t sel; /* selector bits taken but not yet visited */
	uint32_t next_word, next_bit;
};

SDRV_PUBLIC void sdrv_evtchn_scanner_init(struct sdrv_evtchn_scanner *sc,
					  struct sdrv_shared_info *s);

/**
 * sdrv_evtchn_scan() - take up to @max pending, unmasked ports, clearing
 * their pending bits (so a new event re-marks them).  Call after an upcall
 * wake-up until it returns 0; it clears upcall_pending first, as Xen's
 * guests do, so an event racing with the scan raises a fresh upcall.
 * Return: the number of ports written to @ports.
 */
SDRV_PUBLIC unsigned sdrv_evtchn_scan(struct sdrv_evtchn_scanner *sc,
				      sdrv_evtchn_port_t *ports, unsigned max);

#ifdef __cplusplus
}
#endif

#endif /* SPLITDRV_EVTCHN_H */

/* SPDX-License-Identifier: MIT */
/*
 * Our event channel definitions equal Xen's (invariant 1), asserted at
 * compile time against the system's xen/xen.h and xen/event_channel.h
 * (libxen-dev): the shared-info bitmaps and vcpu_info a guest and the
 * hypervisor both write, and the EVTCHNOP_* arguments.
 */
#include <stddef.h>
#include <stdint.h>

#include <criterion/criterion.h>
#include <splitdrv/evtchn.h>
#include <splitdrv/platform.h>
#include <xen/xen.h>
#include <xen/event_channel.h>

#include "abi_assert.h"

SAME_SIZE(struct sdrv_vcpu_info, struct vcpu_info);
SAME_FIELD(struct sdrv_vcpu_info, struct vcpu_info, evtchn_upcall_pending,
	   evtchn_upcall_pending);
SAME_FIELD(struct sdrv_vcpu_info, struct vcpu_info, evtchn_pending_sel,
	   evtchn_pending_sel);
SAME_FIELD(struct sdrv_shared_info, struct shared_info, vcpu_info, vcpu_info);
SAME_FIELD(struct sdrv_shared_info, struct shared_info, evtchn_pending,
	   evtchn_pending);
SAME_FIELD(struct sdrv_shared_info, struct shared_info, evtchn_mask,
	   evtchn_mask);
SAME_FIELD(struct sdrv_shared_info, struct shared_info, wc_version, wc_version);
SAME_FIELD(struct sdrv_shared_info, struct shared_info, wc_sec_hi, wc_sec_hi);
_Static_assert(sizeof(struct sdrv_shared_info) <= sizeof(struct shared_info),
	       "our shared_info is a prefix of Xen's");
SAME_VALUE(SDRV_EVTCHN_2L_NR_PORTS,
	   sizeof(xen_ulong_t) * 8 * sizeof(xen_ulong_t) * 8);
SAME_VALUE(SDRV_LEGACY_MAX_VCPUS, XEN_LEGACY_MAX_VCPUS);

SAME_SIZE(struct sdrv_evtchn_alloc_unbound, struct evtchn_alloc_unbound);
SAME_FIELD(struct sdrv_evtchn_alloc_unbound, struct evtchn_alloc_unbound, dom, dom);
SAME_FIELD(struct sdrv_evtchn_alloc_unbound, struct evtchn_alloc_unbound,
	   remote_dom, remote_dom);
SAME_FIELD(struct sdrv_evtchn_alloc_unbound, struct evtchn_alloc_unbound, port, port);
SAME_SIZE(struct sdrv_evtchn_bind_interdomain, struct evtchn_bind_interdomain);
SAME_FIELD(struct sdrv_evtchn_bind_interdomain, struct evtchn_bind_interdomain,
	   remote_dom, remote_dom);
SAME_FIELD(struct sdrv_evtchn_bind_interdomain, struct evtchn_bind_interdomain,
	   remote_port, remote_port);
SAME_FIELD(struct sdrv_evtchn_bind_interdomain, struct evtchn_bind_interdomain,
	   local_port, local_port);
SAME_SIZE(struct sdrv_evtchn_send, struct evtchn_send);
SAME_SIZE(struct sdrv_evtchn_close, struct evtchn_close);
SAME_SIZE(struct sdrv_evtchn_status, struct evtchn_status);
SAME_FIELD(struct sdrv_evtchn_status, struct evtchn_status, status, status);
SAME_FIELD(struct sdrv_evtchn_status, struct evtchn_status, vcpu, vcpu);
SAME_FIELD(struct sdrv_evtchn_status, struct evtchn_status, u.unbound.dom,
	   u.unbound.dom);
SAME_FIELD(struct sdrv_evtchn_status, struct evtchn_status,
	   u.interdomain.port, u.interdomain.port);

SAME_VALUE(SDRV_EVTCHNSTAT_closed, EVTCHNSTAT_closed);
SAME_VALUE(SDRV_EVTCHNSTAT_unbound, EVTCHNSTAT_unbound);
SAME_VALUE(SDRV_EVTCHNSTAT_interdomain, EVTCHNSTAT_interdomain);
SAME_VALUE(SDRV_EVTCHNOP_bind_interdomain, EVTCHNOP_bind_interdomain);
SAME_VALUE(SDRV_EVTCHNOP_close, EVTCHNOP_close);
SAME_VALUE(SDRV_EVTCHNOP_send, EVTCHNOP_send);
SAME_VALUE(SDRV_EVTCHNOP_status, EVTCHNOP_status);
SAME_VALUE(SDRV_EVTCHNOP_alloc_unbound, EVTCHNOP_alloc_unbound);

/* The same facts at run time, so the suite reports them. */
Test(abi_evtchn, shared_info_and_ops_equal_xen)
{
	cr_assert_eq(offsetof(struct sdrv_shared_info, evtchn_pending),
		     offsetof(shared_info_t, evtchn_pending));
	cr_assert_eq(sizeof(struct sdrv_evtchn_status), sizeof(evtchn_status_t));
}

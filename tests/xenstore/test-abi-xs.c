/* SPDX-License-Identifier: MIT */
/*
 * Our XenStore wire definitions equal Xen's io/xs_wire.h (invariant 1):
 * the message header, the message types, the limits, the guest's ring page,
 * and the error table, whose order and names the wire carries.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>
#include <splitdrv/xs.h>
#include <xen/io/xs_wire.h>

#include "abi_assert.h"

SAME_SIZE(struct sdrv_xs_msg, struct xsd_sockmsg);
SAME_FIELD(struct sdrv_xs_msg, struct xsd_sockmsg, type, type);
SAME_FIELD(struct sdrv_xs_msg, struct xsd_sockmsg, req_id, req_id);
SAME_FIELD(struct sdrv_xs_msg, struct xsd_sockmsg, tx_id, tx_id);
SAME_FIELD(struct sdrv_xs_msg, struct xsd_sockmsg, len, len);

SAME_SIZE(struct sdrv_xs_ring_page, struct xenstore_domain_interface);
#define RING_FIELD(f)                                                          \
	SAME_FIELD(struct sdrv_xs_ring_page,                                   \
		   struct xenstore_domain_interface, f, f)
RING_FIELD(req);
RING_FIELD(rsp);
RING_FIELD(req_cons);
RING_FIELD(req_prod);
RING_FIELD(rsp_cons);
RING_FIELD(rsp_prod);
RING_FIELD(server_features);
RING_FIELD(connection);
RING_FIELD(error);

SAME_VALUE(SDRV_XS_RING_SIZE, XENSTORE_RING_SIZE);
SAME_VALUE(SDRV_XS_PAYLOAD_MAX, XENSTORE_PAYLOAD_MAX);
SAME_VALUE(SDRV_XS_ABS_PATH_MAX, XENSTORE_ABS_PATH_MAX);
SAME_VALUE(SDRV_XS_REL_PATH_MAX, XENSTORE_REL_PATH_MAX);
SAME_VALUE(SDRV_XS_SERVER_FEATURE_RECONNECTION,
	   XENSTORE_SERVER_FEATURE_RECONNECTION);
SAME_VALUE(SDRV_XS_SERVER_FEATURE_ERROR, XENSTORE_SERVER_FEATURE_ERROR);
SAME_VALUE(SDRV_XS_CONNECTED, XENSTORE_CONNECTED);
SAME_VALUE(SDRV_XS_RECONNECT, XENSTORE_RECONNECT);
SAME_VALUE(SDRV_XS_ERROR_NONE, XENSTORE_ERROR_NONE);
SAME_VALUE(SDRV_XS_ERROR_COMM, XENSTORE_ERROR_COMM);
SAME_VALUE(SDRV_XS_ERROR_RINGIDX, XENSTORE_ERROR_RINGIDX);
SAME_VALUE(SDRV_XS_ERROR_PROTO, XENSTORE_ERROR_PROTO);
SAME_VALUE((int)SDRV_XS_WATCH_PATH, (int)XS_WATCH_PATH);
SAME_VALUE((int)SDRV_XS_WATCH_TOKEN, (int)XS_WATCH_TOKEN);

SAME_VALUE((int)SDRV_XS_CONTROL, (int)XS_CONTROL);
SAME_VALUE((int)SDRV_XS_DIRECTORY, (int)XS_DIRECTORY);
SAME_VALUE((int)SDRV_XS_READ, (int)XS_READ);
SAME_VALUE((int)SDRV_XS_GET_PERMS, (int)XS_GET_PERMS);
SAME_VALUE((int)SDRV_XS_WATCH, (int)XS_WATCH);
SAME_VALUE((int)SDRV_XS_UNWATCH, (int)XS_UNWATCH);
SAME_VALUE((int)SDRV_XS_TRANSACTION_START, (int)XS_TRANSACTION_START);
SAME_VALUE((int)SDRV_XS_TRANSACTION_END, (int)XS_TRANSACTION_END);
SAME_VALUE((int)SDRV_XS_INTRODUCE, (int)XS_INTRODUCE);
SAME_VALUE((int)SDRV_XS_RELEASE, (int)XS_RELEASE);
SAME_VALUE((int)SDRV_XS_GET_DOMAIN_PATH, (int)XS_GET_DOMAIN_PATH);
SAME_VALUE((int)SDRV_XS_WRITE, (int)XS_WRITE);
SAME_VALUE((int)SDRV_XS_MKDIR, (int)XS_MKDIR);
SAME_VALUE((int)SDRV_XS_RM, (int)XS_RM);
SAME_VALUE((int)SDRV_XS_SET_PERMS, (int)XS_SET_PERMS);
SAME_VALUE((int)SDRV_XS_WATCH_EVENT, (int)XS_WATCH_EVENT);
SAME_VALUE((int)SDRV_XS_ERROR, (int)XS_ERROR);
SAME_VALUE((int)SDRV_XS_IS_DOMAIN_INTRODUCED, (int)XS_IS_DOMAIN_INTRODUCED);
SAME_VALUE((int)SDRV_XS_RESUME, (int)XS_RESUME);
SAME_VALUE((int)SDRV_XS_SET_TARGET, (int)XS_SET_TARGET);
SAME_VALUE((int)SDRV_XS_RESET_WATCHES, (int)XS_RESET_WATCHES);
SAME_VALUE((int)SDRV_XS_DIRECTORY_PART, (int)XS_DIRECTORY_PART);
SAME_VALUE((int)SDRV_XS_TYPE_COUNT, (int)XS_TYPE_COUNT);
SAME_VALUE((int)SDRV_XS_INVALID, (int)XS_INVALID);

/* Run time: every name of Xen's error table maps to its errno and back. */
Test(xs_abi, error_names_match_xen_table)
{
	size_t n = sizeof(xsd_errors) / sizeof(xsd_errors[0]);

	for (size_t i = 0; i < n; i++) {
		const char *name = xsd_errors[i].errstring;

		cr_expect_eq(sdrv_xs_errno(name, strlen(name)),
			     -xsd_errors[i].errnum, "%s", name);
		cr_expect_str_eq(sdrv_xs_errname(-xsd_errors[i].errnum), name);
	}
	/* Both of Xen's sides fall back to EINVAL for what they cannot name. */
	cr_expect_eq(sdrv_xs_errno("EWHAT", 5), -EINVAL);
	cr_expect_str_eq(sdrv_xs_errname(-ETIMEDOUT), "EINVAL");
}

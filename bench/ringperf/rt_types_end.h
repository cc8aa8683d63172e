/* SPDX-License-Identifier: MIT */
/* bench/ringperf/rt_types_end.h - forget one slot type's RT_* macros
 * (rt_types.h includes it after each template). */
#undef RT_NAME
#undef RT_LIB
#undef RT_XEN
#undef RT_REQ
#undef RT_RSP
#undef RT_XREQ
#undef RT_XRSP
#undef RT_FILL_REQ
#undef RT_REQ_OK
#undef RT_FILL_RSP
#undef RT_RSP_OK

/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/errno.h - the error numbers libsplitdrv returns (negated).
 *
 * <errno.h> is not available to freestanding code, so the values Linux and
 * Xen use are spelled here.  tests/ring/test-errno.c proves them equal to the
 * host's <errno.h>, so a hosted caller may compare against -EINVAL directly.
 */
#ifndef SPLITDRV_ERRNO_H
#define SPLITDRV_ERRNO_H

#ifdef __cplusplus
extern "C" {
#endif

#define SDRV_EPERM 1
#define SDRV_ENOENT 2
#define SDRV_EIO 5
#define SDRV_E2BIG 7
#define SDRV_EBADF 9
#define SDRV_EAGAIN 11
#define SDRV_ENOMEM 12
#define SDRV_EACCES 13
#define SDRV_EFAULT 14
#define SDRV_EBUSY 16
#define SDRV_EEXIST 17
#define SDRV_EINVAL 22
#define SDRV_EISDIR 21
#define SDRV_ENOSPC 28
#define SDRV_EROFS 30
#define SDRV_ERANGE 34
#define SDRV_ENOSYS 38
#define SDRV_ENOTEMPTY 39
#define SDRV_EPROTO 71
#define SDRV_EOVERFLOW 75
#define SDRV_EISCONN 106
#define SDRV_ENOTCONN 107
#define SDRV_ESHUTDOWN 108
#define SDRV_ETIMEDOUT 110
#define SDRV_EOPNOTSUPP 95
#define SDRV_ENOBUFS 105

#ifdef __cplusplus
}
#endif

#endif /* SPLITDRV_ERRNO_H */

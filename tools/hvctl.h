/* SPDX-License-Identifier: MIT */
/*
 * hvctl's commands that live in their own files: each takes the words from
 * its own name on (argv[0] is the command) and returns the exit status.
 */
#ifndef HVCTL_H
#define HVCTL_H

#include <stdint.h>

struct sdrv_xs;

int hvctl_block_attach(int argc, char **argv);
int hvctl_block_detach(int argc, char **argv);
int hvctl_network_attach(int argc, char **argv);
int hvctl_network_detach(int argc, char **argv);

/* XenStore's socket ($XENSTORED_PATH), or exit with a one-line error. */
struct sdrv_xs *hvctl_xs_connect(void);

/* "<command> ID DEVID [--backend ID]": remove both directories of device
 * @type ("vbd", "vif"); @what names DEVID in errors, @parse_devid reads
 * it (or exits). */
int hvctl_device_detach(int argc, char **argv, const char *type,
			const char *what, uint32_t (*parse_devid)(const char *));

#endif

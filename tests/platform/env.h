/* SPDX-License-Identifier: MIT */
/*
 * tests/platform/env.h - one environment under the shared platform tests.
 * test-platform.c is built once per environment, linked with env-inproc.c
 * or env-hvstub.c; the bodies see only this interface.
 */
#ifndef TESTS_PLATFORM_ENV_H
#define TESTS_PLATFORM_ENV_H

#include <stdbool.h>

#include <splitdrv/platform.h>

extern const char *const env_name;

/* Start the hypervisor with domain 0 (privileged) and no other domain. */
void env_start(void);
/* Stop it (every domain goes). */
void env_stop(void);
/* Create domain @id (@frames pages) the way the toolstack does.
 * Return: 0 or -errno. */
int env_create(sdrv_domid_t id, uint32_t frames, bool privileged);
/* Become domain @id in this process. Return: 0 or -errno. */
int env_attach(sdrv_domid_t id, struct sdrv_platform **out);
/* Domain @id disappears (toolstack destroy), its handle *@p with it. */
void env_kill(sdrv_domid_t id, struct sdrv_platform **p);
/* File descriptors and memory mappings this process, and the hypervisor
 * if it is another process, hold now: equal counts mean nothing leaked. */
long env_resources(void);

/* Count entries of /proc/@pid/fd plus the mappings of /proc/@pid/maps
 * that name what they map (memfds, files; not anonymous memory). */
long env_proc_resources(int pid);

#endif

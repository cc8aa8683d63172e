/* SPDX-License-Identifier: MIT */
/* tests/platform/env-common.c - resource counting for the leak checks. */
#include "env.h"

#include <dirent.h>
#include <stdio.h>

long env_proc_resources(int pid)
{
	char path[64];
	long n = 0;
	DIR *d;
	FILE *f;
	int c;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

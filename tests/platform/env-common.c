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
	char line[512];

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
	/* Mappings of something (memfds, files): anonymous ones are the
	 * allocator's, and under ASan its quarantine maps fresh memory as
	 * the run goes on; memory leaks are LeakSanitizer's to find. */
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off, inode;
		char perms[8], dev[16];
		int name = 0;

		if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n", &lo, &hi, perms,
			   &off, dev, &inode, &name) >= 6 &&
		    name > 0 && line[name] != '\0' && line[name] != '\n')
			n++;
	}
	fclose(f);
	return n;
}

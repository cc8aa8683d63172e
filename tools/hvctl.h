/* SPDX-License-Identifier: MIT */
/*
 * hvctl's commands that live in their own files: each takes the words from
 * its own name on (argv[0] is the command) and returns the exit status.
 */
#ifndef HVCTL_H
#define HVCTL_H

int hvctl_block_attach(int argc, char **argv);
int hvctl_block_detach(int argc, char **argv);

#endif

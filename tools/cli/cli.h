/* SPDX-License-Identifier: MIT */
/*
 * tools/cli/cli.h - what every splitdrv program does the same way on its
 * command line: --help and --version, and errors a user can act on.
 *
 * Conventions (those of coreutils and Xen's xl):
 *   - --help prints usage to stdout and exits 0; --version prints
 *     "PROGRAM (splitdrv) VERSION" and exits 0;
 *   - a wrong word is one line on stderr naming the word and what is wrong
 *     with it, ending "(see PROGRAM --help)", exit 2;
 *   - a failure at run time is one line naming the object and the cause,
 *     exit 1.
 * Not part of libsplitdrv: linked into the programs only.
 */
#ifndef SDRV_TOOLS_CLI_H
#define SDRV_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses. */
#define CLI_EXIT_FAILURE 1 /* the operation failed */
#define CLI_EXIT_USAGE 2 /* the command line is wrong */

/* The program's name in every message; call first in main(). */
void cli_init(const char *program);

/* A daemon that holds a few descriptors per domain (hv-stub, XenStore)
 * raises its soft limit on open files to the hard one: 1024 would cap it
 * near 200 domains. */
void cli_raise_fd_limit(void);
const char *cli_program(void);

/* "PROGRAM (splitdrv) VERSION" on stdout. */
void cli_print_version(void);

/*
 * cli_standard_options() - handle --help (or -h) and --version wherever
 * they stand before a "--".  @usage prints the help to
 * the stream given.  Returns only if neither is present.
 */
void cli_standard_options(int argc, char **argv,
			  void (*usage)(FILE *out));

/* A wrong command line: "PROGRAM: MESSAGE (see PROGRAM --help)"; exit 2. */
__attribute__((noreturn, format(printf, 1, 2))) void
cli_usage_error(const char *fmt, ...);

/*
 * cli_getopt_other() - the cases every program's getopt_long() loop ends
 * with: 'h' (--help: @usage on stdout, exit 0), 'V' (--version, exit 0),
 * anything else a usage error (cli_getopt_error()).  Does not return.
 */
__attribute__((noreturn)) void cli_getopt_other(int opt, char **argv,
						void (*usage)(FILE *out));

/*
 * cli_getopt_error() - the usage error for what getopt_long() returned
 * (':' a missing value, '?' an unknown option; call with opterr = 0 and an
 * optstring starting with ':').  Does not return.
 */
__attribute__((noreturn)) void cli_getopt_error(int opt, char **argv);

/* No operands expected: a usage error naming the first extra word. */
void cli_no_operands(int argc, char **argv, int optind_now);

/* A failed operation: "PROGRAM: MESSAGE"; exit 1. */
__attribute__((noreturn, format(printf, 1, 2))) void
cli_fail(const char *fmt, ...);

/* "PROGRAM: MESSAGE" on stderr, nothing else (for a caller that cleans up). */
__attribute__((format(printf, 1, 2))) void cli_error(const char *fmt, ...);

/*
 * cli_number() - @text as a whole number in [@min, @max] (decimal, or hex
 * with 0x).  On error, exits with a usage error naming @what
 * ("--domid 70000: more than the limit of 32751").
 */
uint64_t cli_number(const char *what, const char *text, uint64_t min,
		    uint64_t max);

/*
 * cli_size() - @text as a size in bytes: a number with an optional K, M
 * or G suffix (powers of 1024), in [@min, @max] and a multiple of
 * @multiple.  On error, a usage error naming @what and the limit
 * ("--mem 99999G: more than the 1 GiB limit").
 */
uint64_t cli_size(const char *what, const char *text, uint64_t min,
		  uint64_t max, uint64_t multiple);

/* @bytes as "1 GiB", "24 KiB", "4096 bytes" into @buf (at least 32). */
const char *cli_format_size(uint64_t bytes, char *buf, size_t len);

#endif

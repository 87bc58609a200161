/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fake of struct fs_ops (vss/fsops.h) for unit tests of the freeze engine:
 * no root, no real filesystem is ever frozen.
 *
 * Each fake filesystem is a pipe. open() hands out a new read end (the
 * engine's "directory fd", which the engine also passes to the real
 * watchdog process); the fake keeps the write end, which polls POLLERR once
 * nobody holds the read end any more: neither vssd nor its watchdog. An fd is
 * mapped back to its filesystem by the pipe's inode (fstat), so the lookup
 * works in the watchdog process too, whose fd numbers differ. The state is
 * in a shared mapping, so a FITHAW by the watchdog process shows up in it.
 * (A real FITHAW on a pipe could do no harm either: pipefs cannot be frozen.)
 *
 * Errors are scripted by call: "the nth freeze fails with EIO", for a given
 * number of consecutive calls. A scripted EBUSY on freeze also marks the
 * filesystem frozen by someone else, as the kernel's EBUSY means.
 */
#ifndef SB_TESTS_UNIT_FAKEFS_H
#define SB_TESTS_UNIT_FAKEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fsops.h"

#define FAKE_MAX_FS 16
#define FAKE_MAX_SCRIPT 8

enum fake_op { FAKE_OPEN, FAKE_SYNCFS, FAKE_FREEZE, FAKE_THAW, FAKE_NOPS };

struct fake_fs {
	char path[256];
	ino_t ino;             /* of the current pipe */
	int wfd;               /* its write end, -1 before the first open */
	bool frozen;           /* by anyone */
	bool foreign;          /* frozen by someone else (EBUSY); vssd must never thaw it */
	unsigned freezes;      /* FIFREEZE calls that froze it */
	unsigned thaws;        /* FITHAW calls by the test process that thawed it */
	unsigned wd_thaws;     /* FITHAW calls by another process (the watchdog) that thawed it */
	unsigned stray_thaws;  /* FITHAW calls on it while it was not frozen */
	unsigned failed_thaws; /* scripted FITHAW failures */
};

struct fake_script {
	enum fake_op op;
	unsigned nth;   /* 1-based call number of op */
	unsigned times; /* consecutive calls that fail */
	int err;        /* positive errno */
};

struct fakefs {
	pid_t pid; /* the test process */
	struct fake_fs fs[FAKE_MAX_FS];
	size_t n;
	unsigned calls[FAKE_NOPS]; /* calls by the test process */
	struct fake_script script[FAKE_MAX_SCRIPT];
	size_t nscript;
	/* called in the test process before the nth call of op (nth counts from 1) */
	void (*before)(enum fake_op op, unsigned nth);
};

/* In a shared mapping; valid after fake_init(). */
extern struct fakefs *fake;
extern const struct fs_ops fake_ops;

/* Maps the state (once) and clears it: no filesystems, no script. */
void fake_init(void);

/* Adds a filesystem at path (thawed). */
void fake_add(const char *path);

/* The filesystem at path, or NULL. */
struct fake_fs *fake_find(const char *path);

/* The nth call of op (and times - 1 calls after it) fails with errno err. */
void fake_fail(enum fake_op op, unsigned nth, unsigned times, int err);

/* Waits up to ms until no process holds any fake filesystem's fd. */
bool fake_released(int ms);

/* Closes the write ends and unmaps nothing: ready for fake_init() again. */
void fake_close(void);

#endif

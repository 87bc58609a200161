/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The freeze record: <state_dir>/frozen lists every filesystem vssd is
 * about to freeze, one "MAJ:MIN mountpoint" line each, so a vssd that
 * restarts after a crash can thaw them.
 */
#ifndef SB_VSS_RECORD_H
#define SB_VSS_RECORD_H

#include <stddef.h>
#include <sys/types.h>

/*
 * One owner of state_dir: makes it (0700) if missing, checks it can be trusted
 * (a directory, not a symlink, owned by our uid, root, and not writable by group
 * or others) and takes its lock, an flock on <state_dir>/lock, which the caller
 * holds for as long as it runs: vssd for its life, vssd --thaw-record while it
 * replays. Returns the lock's fd, or -errno with err saying why (-EWOULDBLOCK:
 * another vssd holds it; -EPERM: not trusted).
 */
int record_lock(const char *state_dir, char *err, size_t errlen);

/* Creates (truncates) the record. Returns an open fd or -errno. */
int record_create(const char *state_dir);

/* Appends one entry; no allocation, one write(2). Returns 0 or -errno. */
int record_add(int fd, dev_t dev, const char *mountpoint);

/*
 * Marks an entry added by record_add() as not vssd's to thaw (FIFREEZE said
 * EBUSY or EOPNOTSUPP): one more line, "!MAJ:MIN mountpoint".
 */
int record_disown(int fd, dev_t dev, const char *mountpoint);

/* Closes fd (if >= 0) and removes the record. */
void record_remove(int fd, const char *state_dir);

/*
 * Thaws what a record lists, if the same filesystem (mountpoint and
 * major:minor, checked against mountinfo) is still mounted there; entries
 * are thawed in reverse order; a record that is a symlink, not ours or
 * writable by others is not replayed (-EPERM). Logs what it did. Returns the number thawed,
 * -ENOENT when there was no record, or another -errno. The record is removed.
 * An empty record (the watchdog retired it after its own thaw) thaws nothing.
 */
int record_thaw(const char *state_dir, const char *mountinfo);

#endif

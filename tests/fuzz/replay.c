/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replays the fuzz target over a corpus directory and over deterministic
 * mutations of it (byte flips, truncations, splices), so make check
 * exercises the protocol path without libFuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX 70000
#define MUTATIONS 2000

static uint32_t rng = 0x9e3779b9u;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

int main(int argc, char **argv)
{
	static char inputs[64][REPLAY_MAX];
	static size_t lens[64];
	static uint8_t buf[2 * REPLAY_MAX];
	size_t n = 0, i, k;
	struct dirent *e;
	DIR *d;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		perror(argv[1]);
		return 1;
	}
	while ((e = readdir(d)) && n < 64) {
		char path[4096];
		ssize_t r;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
		r = read_file(path, inputs[n], REPLAY_MAX);
		if (r < 0)
			continue;
		lens[n] = (size_t)r;
		LLVMFuzzerTestOneInput((const uint8_t *)inputs[n], lens[n]);
		n++;
	}
	closedir(d);
	if (n == 0) {
		fprintf(stderr, "no corpus in %s\n", argv[1]);
		return 1;
	}
	for (i = 0; i < MUTATIONS; i++) {
		size_t a = next() % n, b = next() % n, len = lens[a];

		memcpy(buf, inputs[a], len);
		switch (next() % 4) {
		case 0:
			for (k = 0; k < 1 + next() % 8 && len; k++)
				buf[next() % len] = (uint8_t)next();
			break;
		case 1: len = len ? next() % len : 0; break;
		case 2:
			memcpy(buf + len, inputs[b], lens[b]);
			len += lens[b];
			break;
		default:
			if (len)
				buf[next() % len] = 0xff;
			break;
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	/* TAP: plan and result; a crash before this prints nothing, which the driver reports */
	printf("1..1\nok 1 - replayed %zu corpus inputs and %d mutations\n", n, MUTATIONS);
	return 0;
}

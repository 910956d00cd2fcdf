/*
 * written.c - which traced process last opened a file for writing, by the
 * file's device and inode, so that an exec can tell a program the traced
 * tree itself just wrote (a linker's output in a temp dir) from one that
 * came from elsewhere (proc.exe_writer).  Inodes follow a file through
 * renames and hard links, which paths do not.
 *
 * A fixed direct-mapped table: a newer file may take an older one's slot,
 * so an old entry can be forgotten (the field is then empty), never
 * reported for another file.
 */
#include <stdio.h>
#include <string.h>
#include "state/state.h"

static unsigned slot(uint64_t dev, uint64_t ino)
{
	uint64_t h = (ino * 0x9E3779B97F4A7C15ull) ^ (dev * 0xC2B2AE3D27D4EB4Full);
	return (unsigned)(h >> 40) % LN_WRITTEN_SLOTS;
}

void ln_written_note(struct ln_session *s, const ln_fd *f, const char *comm)
{
	if (!f->ino || f->type != LN_FD_FILE)
		return;
	struct ln_written *w = &s->written[slot(f->dev, f->ino)];
	w->dev = f->dev;
	w->ino = f->ino;
	snprintf(w->comm, sizeof(w->comm), "%s", comm);
}

const char *ln_written_by(struct ln_session *s, uint64_t dev, uint64_t ino)
{
	if (!ino)
		return NULL;
	const struct ln_written *w = &s->written[slot(dev, ino)];
	return w->ino == ino && w->dev == dev ? w->comm : NULL;
}

/*
 * esc_handle: opens a file by handle (name_to_handle_at, then
 * open_by_handle_at with a mount fd of the file's directory), the way the
 * "Shocker" container escape reached host files without a path.
 * argv[1]: the file (default /etc/shadow).  Prints the results and the
 * kernel's name of the opened fd ("name: /etc/shadow").  Needs
 * CAP_DAC_READ_SEARCH for open_by_handle_at.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *path = argc > 1 ? argv[1] : "/etc/shadow";
	struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
	h->handle_bytes = MAX_HANDLE_SZ;
	int mount_id;
	/* a symlink is followed, as open does */
	if (name_to_handle_at(AT_FDCWD, path, h, &mount_id, AT_SYMLINK_FOLLOW) != 0) {
		printf("name_to_handle_at: %s\n", strerror(errno));
		return 1;
	}
	char *dir = strdup(path);
	int mfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
	int fd = open_by_handle_at(mfd, h, O_RDONLY);
	if (fd < 0) {
		printf("open_by_handle_at: %s\n", strerror(errno));
		return 1;
	}
	char link[64], name[4096];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, name, sizeof(name) - 1);
	name[n > 0 ? n : 0] = '\0';
	char c;
	printf("open_by_handle_at: fd %d, read %zd\n", fd, read(fd, &c, 1));
	printf("name: %s\n", name);
	return 0;
}

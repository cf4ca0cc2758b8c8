/* vmcore-find PREFIX LEN [FILE]: the capture kernel's marker search (tests/vm/sb-init.sh).
 * Reads FILE (default /proc/vmcore) in 1 MiB blocks and prints, once each, every string
 * that is PREFIX followed by LEN lowercase hex digits; then "bytes N" and "elf yes|no"
 * (whether the file starts with \177ELF). A block boundary is handled by carrying the
 * tail. busybox grep cannot do this: /proc/vmcore is hundreds of MB with few newlines.
 * Exit 0 when the file was read to its end, 1 on a read error, 2 on usage. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK (1 << 20)
#define MAXFOUND 64

static int ishex(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: vmcore-find PREFIX LEN [FILE]\n");
		return 2;
	}
	const char *prefix = argv[1];
	size_t plen = strlen(prefix), len = (size_t)atoi(argv[2]), want = plen + len;
	const char *path = argc == 4 ? argv[3] : "/proc/vmcore";
	if (plen == 0 || len == 0 || len > 256) {
		fprintf(stderr, "vmcore-find: bad PREFIX or LEN\n");
		return 2;
	}
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	static unsigned char buf[BLOCK + 512];
	static char found[MAXFOUND][300];
	int nfound = 0, first = 1, elf = 0;
	size_t carry = 0;
	unsigned long long total = 0;
	for (;;) {
		ssize_t n = read(fd, buf + carry, BLOCK);
		if (n < 0) {
			perror(path);
			return 1;
		}
		if (first && n >= 4) elf = memcmp(buf, "\177ELF", 4) == 0;
		first = 0;
		total += (unsigned long long)n;
		size_t have = carry + (size_t)n;
		size_t i;
		for (i = 0; i + want <= have; i++) {
			if (buf[i] != (unsigned char)prefix[0] || memcmp(buf + i, prefix, plen) != 0) continue;
			size_t k;
			for (k = 0; k < len && ishex(buf[i + plen + k]); k++) ;
			if (k < len) continue;
			char s[300];
			memcpy(s, buf + i, want);
			s[want] = 0;
			int dup = 0;
			for (int j = 0; j < nfound; j++) dup |= strcmp(found[j], s) == 0;
			if (!dup && nfound < MAXFOUND) {
				strcpy(found[nfound++], s);
				printf("found %s\n", s);
			}
		}
		if (n == 0) break;
		/* keep the last want-1 bytes: a match may straddle the boundary */
		carry = have < want ? have : want - 1;
		memmove(buf, buf + have - carry, carry);
	}
	printf("bytes %llu\nelf %s\n", total, elf ? "yes" : "no");
	return 0;
}

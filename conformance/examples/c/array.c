// SPDX-License-Identifier: GPL-2.0-only
/*
 * A memory-mapped BPF_MAP_TYPE_ARRAY from userspace, with libbpf. A test
 * compiles this file against the system's libbpf (cc array.c -lbpf) and
 * runs it as root; the region between the mapspec:example markers is
 * shown on the page, and main() around it is the test.
 */
/* The checks are assert()s: never compiled out. */
#undef NDEBUG
#include <assert.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>

// mapspec:example:begin array-mmap
/* Creates an array of n __u64 counters and maps it: counts[i] is the
 * value at index i, shared with every program that uses the map. */
static __u64 *map_counts(__u32 n, int *fd)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	void *counts;

	*fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "counts", sizeof(__u32),
			     sizeof(__u64), n, &opts);
	if (*fd < 0)
		return NULL;
	counts = mmap(NULL, n * sizeof(__u64), PROT_READ | PROT_WRITE,
		      MAP_SHARED, *fd, 0);
	if (counts == MAP_FAILED) {
		close(*fd);
		return NULL;
	}
	return counts;
}
// mapspec:example:end array-mmap

int main(void)
{
	__u32 index = 5, n = 64;
	__u64 *counts, value;
	int fd;

	counts = map_counts(n, &fd);
	assert(counts);
	/* A store through the mapping is what a lookup returns... */
	counts[3] = 42;
	index = 3;
	assert(bpf_map_lookup_elem(fd, &index, &value) == 0 && value == 42);
	/* ...and an update is what the mapping shows. */
	index = 5;
	value = 7;
	assert(bpf_map_update_elem(fd, &index, &value, BPF_ANY) == 0);
	assert(counts[5] == 7);
	/* Every other counter starts at zero. */
	for (__u32 i = 0; i < n; i++)
		assert(i == 3 || i == 5 || counts[i] == 0);
	assert(munmap(counts, n * sizeof(__u64)) == 0);
	close(fd);
	return 0;
}

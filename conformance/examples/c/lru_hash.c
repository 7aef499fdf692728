// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace side of BPF_MAP_TYPE_LRU_HASH with libbpf: a full map makes
 * room for a new key by evicting. Compiled and run by a test.
 */
/* The checks are assert()s: never compiled out. */
#undef NDEBUG
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>

int main(void)
{
	// mapspec:example:begin lru-hash-userspace
	__u32 key, max_entries = 4;
	__u64 value = 1, out;
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "example", sizeof(key),
			    sizeof(value), max_entries, NULL);
	assert(fd >= 0);

	/* Far more keys than max_entries: every insert succeeds, and
	 * older elements are evicted to make room. */
	for (key = 0; key < 100; key++) {
		err = bpf_map_update_elem(fd, &key, &value, BPF_NOEXIST);
		assert(err == 0);
	}
	/* The newest key is there; the first one is long gone. */
	key = 99;
	err = bpf_map_lookup_elem(fd, &key, &out);
	assert(err == 0);
	key = 0;
	err = bpf_map_lookup_elem(fd, &key, &out);
	assert(err == -ENOENT);
	close(fd);
	// mapspec:example:end lru-hash-userspace
	return 0;
}

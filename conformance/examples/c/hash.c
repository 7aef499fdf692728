// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace side of BPF_MAP_TYPE_HASH with libbpf. A test compiles this
 * file against the system's libbpf (cc hash.c -lbpf) and runs it as root;
 * the region between the mapspec:example markers is shown on the page.
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
	// mapspec:example:begin hash-userspace
	__u32 key = 1, next;
	__u64 value = 10, out = 0;
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "example", sizeof(key),
			    sizeof(value), 4, NULL);
	assert(fd >= 0);

	/* BPF_NOEXIST inserts only; a second insert fails with EEXIST. */
	err = bpf_map_update_elem(fd, &key, &value, BPF_NOEXIST);
	assert(err == 0);
	err = bpf_map_update_elem(fd, &key, &value, BPF_NOEXIST);
	assert(err == -EEXIST);

	/* A lookup copies the value out: changing `out` does not change
	 * the map. Write it back with BPF_EXIST to update in place. */
	err = bpf_map_lookup_elem(fd, &key, &out);
	assert(err == 0 && out == 10);
	out += 1;
	err = bpf_map_update_elem(fd, &key, &out, BPF_EXIST);
	assert(err == 0);

	/* Walk the keys: NULL starts, -ENOENT ends. */
	err = bpf_map_get_next_key(fd, NULL, &next);
	assert(err == 0 && next == key);
	err = bpf_map_get_next_key(fd, &next, &next);
	assert(err == -ENOENT);

	err = bpf_map_delete_elem(fd, &key);
	assert(err == 0);
	err = bpf_map_lookup_elem(fd, &key, &out);
	assert(err == -ENOENT);
	close(fd);
	// mapspec:example:end hash-userspace
	return 0;
}

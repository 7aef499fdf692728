// SPDX-License-Identifier: GPL-2.0-only
/*
 * Walking a hash map from userspace and deleting on the way, with libbpf.
 * A test compiles this file against the system's libbpf (cc hash.c -lbpf)
 * and runs it as root, on BPF_MAP_TYPE_HASH and BPF_MAP_TYPE_LRU_HASH; the
 * region between the mapspec:example markers is shown on the page, and
 * main() around it is the test.
 */
/* The checks are assert()s: never compiled out. */
#undef NDEBUG
#include <assert.h>
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>

// mapspec:example:begin hash-prune
/* Deletes every element whose value is below min. */
static int prune(int fd, __u64 min)
{
	__u32 key, next;
	__u64 value;
	int err;

	err = bpf_map_get_next_key(fd, NULL, &next);
	while (!err) {
		key = next;
		/* Fetch the next key before deleting this one. */
		err = bpf_map_get_next_key(fd, &key, &next);
		if (!bpf_map_lookup_elem(fd, &key, &value) && value < min)
			bpf_map_delete_elem(fd, &key);
	}
	return err == -ENOENT ? 0 : err;
}
// mapspec:example:end hash-prune

/* Fills a map of `type` with keys 0..63 (value = key), prunes below 32
 * and checks that exactly the keys 32..63 are left. */
static void check_prune(enum bpf_map_type type)
{
	__u32 key, next, n = 0;
	__u64 value;
	int fd, err;

	/* Room well beyond the keys, so that an LRU map evicts none. */
	fd = bpf_map_create(type, "prune", sizeof(key), sizeof(value), 1024,
			    NULL);
	assert(fd >= 0);
	for (key = 0; key < 64; key++) {
		value = key;
		assert(bpf_map_update_elem(fd, &key, &value, BPF_NOEXIST) == 0);
	}
	assert(prune(fd, 32) == 0);
	for (key = 0; key < 64; key++) {
		err = bpf_map_lookup_elem(fd, &key, &value);
		if (key < 32)
			assert(err == -ENOENT);
		else
			assert(err == 0 && value == key);
	}
	err = bpf_map_get_next_key(fd, NULL, &next);
	while (!err) {
		n++;
		err = bpf_map_get_next_key(fd, &next, &next);
	}
	assert(err == -ENOENT && n == 32);
	/* Pruning again deletes nothing, and an empty map is no error. */
	assert(prune(fd, 32) == 0);
	assert(prune(fd, 64) == 0);
	assert(bpf_map_get_next_key(fd, NULL, &next) == -ENOENT);
	assert(prune(fd, 64) == 0);
	close(fd);
}

int main(void)
{
	check_prune(BPF_MAP_TYPE_HASH);
	check_prune(BPF_MAP_TYPE_LRU_HASH);
	return 0;
}

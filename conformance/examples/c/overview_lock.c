// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_F_LOCK from userspace: a value that starts with a struct
 * bpf_spin_lock (described by BTF, which the kernel requires for it) is
 * copied in and out under that lock, so a lookup never sees half of an
 * update. A test compiles this file (cc overview_lock.c -lbpf) and runs it
 * as root; the regions between the mapspec:example markers are shown on
 * Documentation/bpf/ebpf_maps.rst.
 */
/* The checks are assert()s: never compiled out. */
#undef NDEBUG
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

// mapspec:example:begin locked-value
struct locked_value {
	struct bpf_spin_lock lock; /* from <linux/bpf.h> */
	__u64 count;
};
// mapspec:example:end locked-value

/* The BTF a compiler would emit for the key and struct locked_value. */
static struct btf *value_btf(int *key_id, int *value_id)
{
	struct btf *btf = btf__new_empty();
	int u32, u64, lock;

	if (!btf)
		return NULL;
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	lock = btf__add_struct(btf, "bpf_spin_lock", 4);
	btf__add_field(btf, "val", u32, 0, 0);
	*value_id = btf__add_struct(btf, "locked_value", sizeof(struct locked_value));
	btf__add_field(btf, "lock", lock, 0, 0);
	btf__add_field(btf, "count", u64, 64, 0);
	*key_id = u32;
	if (btf__load_into_kernel(btf)) {
		btf__free(btf);
		return NULL;
	}
	return btf;
}

static int locked_increment(int map_fd)
{
	// mapspec:example:begin f-lock
	struct locked_value value;
	__u32 key = 0;
	int err;

	/* Copied out while the element's lock is held: a consistent value. */
	err = bpf_map_lookup_elem_flags(map_fd, &key, &value, BPF_F_LOCK);
	if (err)
		return err;
	value.count += 1;
	/* Copied in under the lock (the lock word itself is not copied).
	 * The lookup and the update are still two commands: an update in
	 * between is overwritten. */
	return bpf_map_update_elem(map_fd, &key, &value, BPF_F_LOCK | BPF_EXIST);
	// mapspec:example:end f-lock
}

int main(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	struct locked_value v = { .count = 41 }, out = {};
	int key_id = 0, value_id = 0, fd;
	__u32 key = 0;
	struct btf *btf;

	btf = value_btf(&key_id, &value_id);
	assert(btf != NULL);
	opts.btf_fd = btf__fd(btf);
	opts.btf_key_type_id = key_id;
	opts.btf_value_type_id = value_id;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "locked", sizeof(key),
			    sizeof(v), 4, &opts);
	assert(fd >= 0);
	assert(bpf_map_update_elem(fd, &key, &v, BPF_NOEXIST | BPF_F_LOCK) == 0);
	assert(locked_increment(fd) == 0);
	assert(bpf_map_lookup_elem_flags(fd, &key, &out, BPF_F_LOCK) == 0);
	assert(out.count == 42);
	close(fd);
	btf__free(btf);
	return 0;
}

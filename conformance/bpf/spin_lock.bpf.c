// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpf_spin_lock in the program against BPF_F_LOCK from userspace. The
 * value layout matches the runner's `spin_lock_value` BTF recipe: the lock
 * first, then u64 words.
 */
#include "mapspec.h"

// mapspec:example:begin locked-writer
struct locked_value {
	struct bpf_spin_lock lock;
	__u64 data[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct locked_value);
	__uint(max_entries, 4);
} target SEC(".maps");

SEC("tc")
int locked_writer(struct __sk_buff *ctx)
{
	struct locked_value *v;
	__u32 key = 0;
	__u64 n;

	v = bpf_map_lookup_elem(&target, &key);
	if (!v)
		return TC_ACT_SHOT;
	bpf_spin_lock(&v->lock);
	n = v->data[0] + 1;
	for (int i = 0; i < 7; i++)
		v->data[i] = n;
	bpf_spin_unlock(&v->lock);
	return TC_ACT_OK;
}
// mapspec:example:end locked-writer

/* The same writes without the lock: userspace can see them half done. */
SEC("tc")
int plain_writer(struct __sk_buff *ctx)
{
	struct locked_value *v;
	__u32 key = 0;
	__u64 n;

	v = bpf_map_lookup_elem(&target, &key);
	if (!v)
		return TC_ACT_SHOT;
	n = v->data[0] + 1;
	for (int i = 0; i < 7; i++)
		v->data[i] = n;
	return TC_ACT_OK;
}

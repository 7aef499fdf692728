// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel-side map access for mapspec's claims. The regions between
 * `mapspec:example:begin NAME` and `mapspec:example:end NAME` are shown
 * verbatim in the generated documentation; the suite loads and runs every
 * program in this file.
 */
#include "mapspec.h"

// mapspec:example:begin target-map
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} target SEC(".maps");
// mapspec:example:end target-map

/* The helpers, one program each, driven by the argument packet: the
 * verifier-acceptance claims load them against every map type. Keys and
 * values are copied to the stack first: pop and peek may not write into
 * packet memory, and the verifier should judge the map, not the packet. */

SEC("tc")
int map_lookup(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u8 key[MAPSPEC_KEY_MAX];
	__u64 *v;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(key, a->key, sizeof(key));
	v = bpf_map_lookup_elem(&target, key);
	if (!v) {
		/* NULL: no element. Reported as ENOENT. */
		a->ret = -ENOENT;
		return TC_ACT_OK;
	}
	a->ret = 0;
	/* The first 8 bytes of the value, read through the pointer. */
	__builtin_memcpy(a->value, v, sizeof(*v));
	return TC_ACT_OK;
}

// mapspec:example:begin update-flags
/* 0, or -EEXIST (BPF_NOEXIST, the key is present), -ENOENT (BPF_EXIST,
 * the key is absent), -E2BIG (the map is full) or -EINVAL (flags the map
 * type does not take). */
static __always_inline int update(const void *key, const void *value,
				  __u64 flags)
{
	return bpf_map_update_elem(&target, key, value, flags);
}
// mapspec:example:end update-flags

SEC("tc")
int map_update(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u8 key[MAPSPEC_KEY_MAX], value[MAPSPEC_VALUE_MAX];

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(key, a->key, sizeof(key));
	__builtin_memcpy(value, a->value, sizeof(value));
	/* As an int: before 6.4 the upper 32 bits of the helper's long
	 * result may be zero for a negative errno. */
	a->ret = update(key, value, a->flags);
	return TC_ACT_OK;
}

SEC("tc")
int map_delete(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u8 key[MAPSPEC_KEY_MAX];

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(key, a->key, sizeof(key));
	a->ret = (int)bpf_map_delete_elem(&target, key);
	return TC_ACT_OK;
}

// mapspec:example:begin push-pop-peek
/* A full queue or stack: -E2BIG, unless flags is BPF_EXIST, which drops
 * the oldest element to make room. */
static __always_inline int push(const void *value, __u64 flags)
{
	return bpf_map_push_elem(&target, value, flags);
}

/* Copies the value out and removes it; -ENOENT when empty. */
static __always_inline int pop(void *value)
{
	return bpf_map_pop_elem(&target, value);
}

/* Copies the value out and leaves it in place; -ENOENT when empty. */
static __always_inline int peek(void *value)
{
	return bpf_map_peek_elem(&target, value);
}
// mapspec:example:end push-pop-peek

SEC("tc")
int map_push(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u8 value[MAPSPEC_VALUE_MAX];

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(value, a->value, sizeof(value));
	a->ret = push(value, a->flags);
	return TC_ACT_OK;
}

SEC("tc")
int map_pop(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u8 value[MAPSPEC_VALUE_MAX] = {};

	if (!a)
		return TC_ACT_SHOT;
	a->ret = pop(value);
	__builtin_memcpy(a->value, value, sizeof(value));
	return TC_ACT_OK;
}

SEC("tc")
int map_peek(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u8 value[MAPSPEC_VALUE_MAX] = {};

	if (!a)
		return TC_ACT_SHOT;
	a->ret = peek(value);
	__builtin_memcpy(a->value, value, sizeof(value));
	return TC_ACT_OK;
}

/* Counters on the u64 at key 0, for the pointer and atomicity claims. */

// mapspec:example:begin counter-atomic
SEC("tc")
int counter_atomic(struct __sk_buff *ctx)
{
	__u32 key = 0;
	__u64 *value;

	value = bpf_map_lookup_elem(&target, &key);
	if (!value)
		return TC_ACT_SHOT;
	/* A pointer into the map: an atomic add, no lost updates. */
	__sync_fetch_and_add(value, 1);
	return TC_ACT_OK;
}
// mapspec:example:end counter-atomic

// mapspec:example:begin counter-plain
SEC("tc")
int counter_plain(struct __sk_buff *ctx)
{
	__u32 key = 0;
	__u64 *value;

	value = bpf_map_lookup_elem(&target, &key);
	if (!value)
		return TC_ACT_SHOT;
	/* Load, add, store: concurrent runs on other CPUs can lose updates,
	 * unless the map is per-CPU. */
	*value += 1;
	return TC_ACT_OK;
}
// mapspec:example:end counter-plain

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Local storage maps (SK_STORAGE, INODE_STORAGE) from a tc program.
 * Their elements hang off an object, so the helpers take the object
 * instead of a key.
 */
#include "mapspec.h"

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} target SEC(".maps");

// mapspec:example:begin sk-storage-get
/* Counts in the socket's own value: 0 with the new count in *count, or
 * -ENOENT when the socket has no value and flags is not
 * BPF_SK_STORAGE_GET_F_CREATE (which creates a zeroed one). sk is a full
 * socket: in a tc program, bpf_sk_fullsock(skb->sk). */
static __always_inline int count_socket(struct bpf_sock *sk, __u64 flags,
					__u64 *count)
{
	__u64 *v;

	/* A pointer to the socket's value, or NULL. */
	v = bpf_sk_storage_get(&target, sk, 0, flags);
	if (!v)
		return -ENOENT;
	*v += 1;
	*count = *v;
	return 0;
}
// mapspec:example:end sk-storage-get

static __always_inline int sk_storage(struct __sk_buff *ctx, __u64 flags)
{
	struct mapspec_args *a = mapspec_args(ctx);
	struct bpf_sock *sk;
	__u64 count;

	if (!a)
		return TC_ACT_SHOT;
	sk = ctx->sk;
	if (!sk)
		return TC_ACT_SHOT;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return TC_ACT_SHOT;
	a->ret = count_socket(sk, flags, &count);
	if (a->ret == 0)
		__builtin_memcpy(a->value, &count, sizeof(count));
	return TC_ACT_OK;
}

SEC("tc")
int sk_storage_get(struct __sk_buff *ctx)
{
	return sk_storage(ctx, 0);
}

SEC("tc")
int sk_storage_create(struct __sk_buff *ctx)
{
	return sk_storage(ctx, BPF_SK_STORAGE_GET_F_CREATE);
}

/* bpf_inode_storage_get() from tc: the verifier's verdict is the claim,
 * so a NULL inode keeps the program small. */
SEC("tc")
int inode_storage_get(struct __sk_buff *ctx)
{
	return bpf_inode_storage_get(&target, 0, 0, 0) ? TC_ACT_SHOT : TC_ACT_OK;
}

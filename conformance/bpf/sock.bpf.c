// SPDX-License-Identifier: GPL-2.0-only
/*
 * SOCKMAP and SOCKHASH from a tc program: a lookup returns a referenced
 * socket that the program must release, and an update takes a socket
 * pointer, not bytes.
 */
#include "mapspec.h"

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} target SEC(".maps");

// mapspec:example:begin sock-lookup-update
/* 0 when slot `key` holds a socket, -ENOENT when it is empty. */
static __always_inline int has_socket(__u32 key)
{
	struct bpf_sock *sk;

	/* A reference to the socket, or NULL. */
	sk = bpf_map_lookup_elem(&target, &key);
	if (!sk)
		return -ENOENT;
	/* The verifier rejects a program that can exit holding it. */
	bpf_sk_release(sk);
	return 0;
}

/* Puts the socket of slot `from` into slot `to` as well. */
static __always_inline int copy_socket(__u32 from, __u32 to, __u64 flags)
{
	struct bpf_sock *sk;
	int err;

	sk = bpf_map_lookup_elem(&target, &from);
	if (!sk)
		return -ENOENT;
	/* The value of a program-side update is the socket itself. */
	err = bpf_map_update_elem(&target, &to, sk, flags);
	bpf_sk_release(sk);
	return err;
}
// mapspec:example:end sock-lookup-update

SEC("tc")
int sock_lookup(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u32 key;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(&key, a->key, sizeof(key));
	a->ret = has_socket(key);
	return TC_ACT_OK;
}

SEC("tc")
int sock_copy(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u32 from, to;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(&from, a->key, sizeof(from));
	__builtin_memcpy(&to, a->value, sizeof(to));
	a->ret = copy_socket(from, to, a->flags);
	return TC_ACT_OK;
}

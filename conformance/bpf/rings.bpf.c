// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ring buffers from programs: BPF_MAP_TYPE_RINGBUF (the program produces)
 * and BPF_MAP_TYPE_USER_RINGBUF (the program consumes).
 */
#include "mapspec.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} target SEC(".maps");

// mapspec:example:begin ringbuf-output
SEC("tc")
int ringbuf_output(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u64 record, avail;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(&record, a->value, sizeof(record));
	/* Copies the record in and commits it: 0, or -EAGAIN when the
	 * ring has no room. */
	a->ret = (int)bpf_ringbuf_output(&target, &record, sizeof(record), 0);
	/* Bytes not yet consumed, 8-byte record headers included. */
	avail = bpf_ringbuf_query(&target, BPF_RB_AVAIL_DATA);
	__builtin_memcpy(a->value, &avail, sizeof(avail));
	return TC_ACT_OK;
}
// mapspec:example:end ringbuf-output

// mapspec:example:begin ringbuf-reserve
SEC("tc")
int ringbuf_reserve(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u64 *record, avail;

	if (!a)
		return TC_ACT_SHOT;
	/* A pointer into the ring, or NULL when it has no room. */
	record = bpf_ringbuf_reserve(&target, sizeof(*record), 0);
	if (!record) {
		a->ret = -MAPSPEC_ENOENT;
		return TC_ACT_OK;
	}
	__builtin_memcpy(record, a->value, sizeof(*record));
	/* Every reservation must be submitted or discarded: the verifier
	 * rejects a program that can leave one behind. */
	bpf_ringbuf_submit(record, 0);
	a->ret = 0;
	avail = bpf_ringbuf_query(&target, BPF_RB_AVAIL_DATA);
	__builtin_memcpy(a->value, &avail, sizeof(avail));
	return TC_ACT_OK;
}
// mapspec:example:end ringbuf-reserve

/* The consumer side of a user ring buffer. */
static long count_sample(struct bpf_dynptr *sample, void *count)
{
	*(__u64 *)count += 1;
	return 0;
}

// mapspec:example:begin user-ringbuf-drain
SEC("tc")
int user_ringbuf_drain(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u64 count = 0;

	if (!a)
		return TC_ACT_SHOT;
	/* Calls count_sample() for each sample userspace has submitted;
	 * returns how many it drained, or a negative errno. */
	a->ret = bpf_user_ringbuf_drain(&target, count_sample, &count, 0);
	__builtin_memcpy(a->value, &count, sizeof(count));
	return TC_ACT_OK;
}
// mapspec:example:end user-ringbuf-drain

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the suite's BPF programs. Every program is a tc classifier
 * (BPF_PROG_TYPE_SCHED_CLS, SEC("tc")): BPF_PROG_TEST_RUN runs it on every
 * kernel of the matrix (5.10 on), and the test packet doubles as the
 * argument block below. Not XDP: with repeat > 1, every XDP test run
 * re-patches the XDP dispatcher, which costs ~20 ms per call and
 * serializes concurrent runs.
 *
 * The runner creates the claim's map itself and binds it to the object's
 * map named `target` with bpf_map__reuse_fd(), so the type and sizes
 * declared here only matter to readers: the verifier sees the real map.
 */
#ifndef MAPSPEC_H
#define MAPSPEC_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define MAPSPEC_KEY_MAX 64
#define MAPSPEC_VALUE_MAX 64

/* The test packet. The runner fills in flags, key and value; the program
 * stores a helper's return code in ret and, for lookup/pop/peek, the value
 * it read in value. The packet is copied back as data_out. */
struct mapspec_args {
	__u64 flags;
	__s64 ret;
	__u8 key[MAPSPEC_KEY_MAX];
	__u8 value[MAPSPEC_VALUE_MAX];
};

static __always_inline struct mapspec_args *mapspec_args(struct __sk_buff *ctx)
{
	struct mapspec_args *a = (void *)(long)ctx->data;

	if ((void *)(a + 1) > (void *)(long)ctx->data_end)
		return 0;
	return a;
}

/* The same argument block for XDP programs (bpf_redirect_map() is an XDP
 * helper): run with repeat 1 only. */
static __always_inline struct mapspec_args *mapspec_xdp_args(struct xdp_md *ctx)
{
	struct mapspec_args *a = (void *)(long)ctx->data;

	if ((void *)(a + 1) > (void *)(long)ctx->data_end)
		return 0;
	return a;
}

/* <errno.h> is not for the BPF target; the example regions use the
 * usual names. */
#define MAPSPEC_ENOENT 2
#define ENOENT 2
#define ENOSPC 28

char LICENSE[] SEC("license") = "GPL";

#endif

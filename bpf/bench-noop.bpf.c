// SPDX-License-Identifier: Apache-2.0
/*
 * bench-noop.bpf.c: a tc program that passes every packet. npm run bench:dataplane attaches it
 * the way the agent attaches netpol.bpf.c (clsact, direct action, both hooks of both host veths)
 * to measure what the hook itself costs, apart from anything our programs do.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int bench_noop(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netpol_abi.h: every struct and constant that crosses between the eBPF programs (netpol.bpf.c)
 * and user space (src/adapters/bpf/abi.ts mirrors this file; test/dataplane/abi-drift.test.ts
 * compares the compiled object's BTF with the mirror and fails when they drift).
 *
 * Conventions: fixed-width types only, explicit padding fields (always zero), multi-byte fields in
 * host byte order unless the name ends in _be. Addresses are 16 bytes, IPv4 mapped into
 * ::ffff:0:0/96, so one code path and one map serve both families.
 */
#ifndef NETPOL_ABI_H
#define NETPOL_ABI_H

#include <linux/types.h>

/* Reserved identities. Pods and ipBlock prefixes get identities >= NETPOL_IDENTITY_FIRST_DYNAMIC. */
#define NETPOL_IDENTITY_ANY 0   /* policy keys only: any peer */
#define NETPOL_IDENTITY_HOST 1  /* the node's own addresses (ipcache): always allowed */
#define NETPOL_IDENTITY_WORLD 2 /* an address the ipcache does not know */
#define NETPOL_IDENTITY_FIRST_DYNAMIC 256

/* Directions, from the pod's point of view (also the second half of the policy outer key). */
#define NETPOL_DIR_INGRESS 0
#define NETPOL_DIR_EGRESS 1

/* endpoints value flags */
#define NETPOL_EP_READY (1u << 0)
#define NETPOL_EP_INGRESS_ISOLATED (1u << 1)
#define NETPOL_EP_EGRESS_ISOLATED (1u << 2)
/* Audit mode (a policy annotated netpol.io/audit): the direction is isolated only by policies in
 * audit mode. A packet its rules would drop passes, and is reported as WOULD_DROP with the reason
 * it would have been dropped for. NOT_READY and NO_ENDPOINT drops are never audited. */
#define NETPOL_EP_INGRESS_AUDIT (1u << 3)
#define NETPOL_EP_EGRESS_AUDIT (1u << 4)

/* policy value verdicts */
#define NETPOL_VERDICT_ALLOW 1
#define NETPOL_VERDICT_DENY 2

/* event kinds */
#define NETPOL_EVENT_DROP 1
#define NETPOL_EVENT_ALLOW_NEW_FLOW 2
#define NETPOL_EVENT_WOULD_DROP 3 /* audit mode: passed, but its rules would have dropped it */

/* event reasons (drops) */
#define NETPOL_REASON_NONE 0
#define NETPOL_REASON_NO_RULE_INGRESS 1 /* ingress isolated, no rule matched the peer/port */
#define NETPOL_REASON_NO_RULE_EGRESS 2  /* egress isolated, no rule matched the peer/port */
#define NETPOL_REASON_NOT_READY 3       /* endpoint known but its rules are not computed yet */
#define NETPOL_REASON_NO_ENDPOINT 4     /* program on a link with no endpoints entry */
#define NETPOL_REASON_FRAGMENT 5        /* non-first fragment and no any-port rule for the peer */
#define NETPOL_REASON_UNPARSABLE 6      /* truncated header or too many IPv6 extension headers */
#define NETPOL_REASON_POLICY_DENY 7     /* a rule with the DENY verdict matched */
/* event reasons (allowed new flows) */
#define NETPOL_REASON_ALLOWED_BY_RULE 16
#define NETPOL_REASON_ALLOWED_NOT_ISOLATED 17
#define NETPOL_REASON_ALLOWED_HOST 18

/* global_counters indices (per-CPU array) */
#define NETPOL_COUNTER_EVENTS_LOST 0       /* ring buffer full: event dropped */
#define NETPOL_COUNTER_EVENTS_SUPPRESSED 1 /* rate-limited per flow */
#define NETPOL_COUNTER_MAX 4

/* conntrack states */
#define NETPOL_CT_NEW 1         /* first packet seen, no reply yet */
#define NETPOL_CT_ESTABLISHED 2 /* a reply was seen */
#define NETPOL_CT_CLOSING 3     /* FIN or RST seen: short lifetime */
/* conntrack flags */
#define NETPOL_CT_F_ORIGIN_LO (1u << 0)      /* the initiator is the key's lo side */
#define NETPOL_CT_F_ORIGIN_EGRESS (1u << 1)  /* initiated by the endpoint (its egress) */

/* Port bits in the policy key: prefix lengths that matter to user space. */
#define NETPOL_POLICY_PREFIX_ANY_PROTO 32 /* identity only */
#define NETPOL_POLICY_PREFIX_ANY_PORT 40  /* identity + protocol */
#define NETPOL_POLICY_PREFIX_FULL 64      /* + pad (8) + port (16) */

/* ipcache: LPM trie, prefixlen over addr (IPv4 = 96 + its prefix length). */
struct netpol_ipcache_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct netpol_ipcache_value {
	__u32 identity;
};

/* endpoints: hash keyed by the host veth's ifindex (in its node's namespace). */
struct netpol_endpoint_key {
	__u32 ifindex;
};

struct netpol_endpoint_value {
	__u32 endpoint_id;
	__u32 flags; /* NETPOL_EP_* */
};

/* policy: hash of maps, (endpoint, direction) -> inner LPM trie. */
struct netpol_policy_outer_key {
	__u32 endpoint_id;
	__u32 direction; /* NETPOL_DIR_* */
};

/* Inner LPM key: identity (32 bits) . protocol (8) . pad (8) . port big-endian (16). */
struct netpol_policy_key {
	__u32 prefixlen;
	__u32 identity;
	__u8 protocol;
	__u8 pad;
	__u16 port_be;
};

struct netpol_policy_value {
	__u32 verdict; /* NETPOL_VERDICT_* */
	__u32 rule_id; /* opaque to the kernel: reported in allow events */
};

/*
 * conntrack: LRU hash, one entry per flow (addresses ordered lo < hi by memcmp, ports follow),
 * shared by the flow's local endpoints: endpoint_id is always 0 in the map (the event rate limit
 * reuses the struct with the endpoint filled in). The value lists the endpoints that admitted the
 * flow; a packet passes on the entry only at a listed endpoint.
 */
struct netpol_ct_key {
	__u8 lo_addr[16];
	__u8 hi_addr[16];
	__u16 lo_port;
	__u16 hi_port;
	__u32 endpoint_id;
	__u8 protocol;
	__u8 pad[3];
};

struct netpol_ct_value {
	__u64 created_ns;
	__u64 last_seen_ns;
	/* The local endpoints that admitted the flow ([0] judged it first; 0 = none). */
	__u32 endpoint_ids[2];
	/* Their host veths' ifindexes when both were judged in one pass at the initiator's veth
	 * (same-node flows, netpol.bpf.c "Same-node single pass"), else 0: a packet one of them
	 * sends is marked for the other's veth, whose program passes it without judging again. */
	__u32 ifindexes[2];
	__u8 state; /* NETPOL_CT_* */
	__u8 flags; /* NETPOL_CT_F_* (ORIGIN_EGRESS: from endpoint_ids[0]'s point of view) */
	__u16 pad;
	__u32 pad2;
};

/* event_ratelimit: LRU hash, flow (a ct key whose pad[0] holds the reason) -> last report. */
struct netpol_ratelimit_value {
	__u64 last_report_ns;
	__u32 suppressed; /* events not sent since the last report */
	__u32 pad;
};

/* endpoint_counters: per-CPU hash keyed by endpoint id. */
struct netpol_endpoint_counters {
	__u64 allowed_packets;
	__u64 allowed_bytes;
	__u64 dropped_packets;
	__u64 dropped_bytes;
};

/* events: ring buffer records. */
struct netpol_event {
	__u64 timestamp_ns; /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 endpoint_id;
	__u32 peer_identity;
	__u32 rule_id;    /* allow events: the matching rule's id */
	__u32 suppressed; /* events for this flow rate-limited since the previous one */
	__u16 sport;
	__u16 dport;
	__u8 protocol;
	__u8 direction; /* NETPOL_DIR_* */
	__u8 kind;      /* NETPOL_EVENT_* */
	__u8 reason;    /* NETPOL_REASON_* */
	__u8 family;    /* 4 or 6 */
	__u8 pad[7];
};

/* Load-time configuration (the `netpol_config` const volatile in .rodata). */
struct netpol_config {
	__u64 event_interval_ns;       /* per-flow minimum gap between two events */
	__u32 allow_sample_one_in;     /* report one new allowed flow in N; 0 = never */
	__u32 ct_tcp_lifetime_s;       /* established TCP idle lifetime */
	__u32 ct_tcp_closing_s;        /* after FIN/RST */
	__u32 ct_other_lifetime_s;     /* UDP, ICMP, other protocols, TCP before a reply */
};

#endif /* NETPOL_ABI_H */

// SPDX-License-Identifier: Apache-2.0
/*
 * netpol.bpf.c: NetworkPolicy enforcement on the host-side veth of each local pod (tc clsact).
 *
 * Routed-veth layout: what the host veth transmits (its egress hook) is the pod's INGRESS, what it
 * receives (its ingress hook) is the pod's EGRESS. Both programs run enforce() with the pod-side
 * direction; IPv4 and IPv6 share every helper (addresses are 16 bytes, IPv4 mapped).
 *
 * Per packet: endpoints[ifindex] -> ipcache LPM (peer address -> identity) -> conntrack (one
 * lookup, normalised key) -> at most two LPM lookups in the endpoint's policy for the direction:
 * (peer identity, protocol, port) then (ANY, protocol, port). The cost does not depend on the
 * number of rules. All policy logic lives in user space (src/adapters/bpf/ and the agent).
 *
 * Defined verdicts (README, "The dataplane"):
 * - non-IP frames (ARP), IPv6 neighbour discovery and multicast listener discovery pass;
 * - traffic to or from a HOST identity (the node's addresses in ipcache) passes, ready or not;
 * - a link with no endpoints entry drops (NO_ENDPOINT); an endpoint without READY drops (NOT_READY);
 * - IPv4 options are skipped (the header length is honoured); IPv6 extension headers are walked
 *   (at most NETPOL_MAX_EXT_HEADERS); more, or a truncated header, is UNPARSABLE: dropped when the
 *   direction is isolated, passed when it is not;
 * - a non-first fragment carries no ports: it is judged with port 0, so only rules that allow the
 *   peer on any port (or any protocol) let it through; otherwise dropped (FRAGMENT);
 * - a direction in audit mode (NETPOL_EP_*_AUDIT) never drops on its rules: what they would drop
 *   (no rule, DENY, FRAGMENT, UNPARSABLE) passes and is reported as WOULD_DROP.
 *
 * Conntrack: an LRU hash per (endpoint, normalised 5-tuple). Entries are never deleted by user
 * space: a stale entry is ignored (judged anew), the LRU recycles it. No clean-up can race a live
 * flow. FIN/RST moves an entry to CLOSING (short lifetime); a SYN on a CLOSING entry is a new flow.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "netpol_abi.h"

#define NETPOL_MAX_EXT_HEADERS 6
#define NSEC_PER_SEC 1000000000ULL

const volatile struct netpol_config netpol_config = {
	.event_interval_ns = NSEC_PER_SEC,
	.allow_sample_one_in = 0,
	.ct_tcp_lifetime_s = 21600,
	.ct_tcp_closing_s = 10,
	.ct_other_lifetime_s = 60,
};

/*
 * Keeps every ABI struct complete in the object's BTF: types only reached through a map-in-map
 * template would otherwise be emitted as forward declarations (libbpf then cannot size the inner
 * map), and test/dataplane/abi-drift.test.ts reads the layouts from this BTF.
 */
struct netpol_abi_anchor {
	struct netpol_ipcache_key ipcache_key;
	struct netpol_ipcache_value ipcache_value;
	struct netpol_endpoint_key endpoint_key;
	struct netpol_endpoint_value endpoint_value;
	struct netpol_policy_outer_key policy_outer_key;
	struct netpol_policy_key policy_key;
	struct netpol_policy_value policy_value;
	struct netpol_ct_key ct_key;
	struct netpol_ct_value ct_value;
	struct netpol_ratelimit_value ratelimit_value;
	struct netpol_endpoint_counters endpoint_counters;
	struct netpol_event event;
	struct netpol_config config;
};
const volatile struct netpol_abi_anchor netpol_abi_anchor;

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 262144);
	__type(key, struct netpol_ipcache_key);
	__type(value, struct netpol_ipcache_value);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ipcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct netpol_endpoint_key);
	__type(value, struct netpol_endpoint_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} endpoints SEC(".maps");

/* The template every inner policy map must match (type, key and value size, flags; not size). */
struct policy_inner {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__type(key, struct netpol_policy_key);
	__type(value, struct netpol_policy_value);
	__uint(map_flags, BPF_F_NO_PREALLOC);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 2048);
	__type(key, struct netpol_policy_outer_key);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct policy_inner);
} policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 131072);
	__type(key, struct netpol_ct_key);
	__type(value, struct netpol_ct_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} conntrack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct netpol_ct_key);
	__type(value, struct netpol_ratelimit_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} event_ratelimit SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct netpol_endpoint_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} endpoint_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NETPOL_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} global_counters SEC(".maps");

/* What the parser extracts. Ports in host byte order. */
struct packet {
	__u8 saddr[16] __attribute__((aligned(4)));
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 protocol;
	__u8 family;
	__u8 fragment; /* non-first fragment: no L4 header */
	__u8 tcp_flags; /* TCP_FLAG_* bits of byte 13 */
};

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

/* parse() results */
#define PARSE_OK 0
#define PARSE_NOT_IP 1   /* pass untouched (ARP, ...) */
#define PARSE_EXEMPT 2   /* IPv6 neighbour / multicast listener discovery: pass */
#define PARSE_BAD 3      /* unparsable */

/* Reads ports (and TCP flags) at l4_off; returns PARSE_OK or PARSE_BAD. */
static __always_inline int parse_l4(struct __sk_buff *skb, __u32 l4_off, struct packet *pkt)
{
	if (pkt->fragment)
		return PARSE_OK;
	if (pkt->protocol == IPPROTO_TCP) {
		__u8 hdr[14];
		if (bpf_skb_load_bytes(skb, l4_off, hdr, sizeof(hdr)) < 0)
			return PARSE_BAD;
		pkt->sport = ((__u16)hdr[0] << 8) | hdr[1];
		pkt->dport = ((__u16)hdr[2] << 8) | hdr[3];
		pkt->tcp_flags = hdr[13];
	} else if (pkt->protocol == IPPROTO_UDP || pkt->protocol == IPPROTO_SCTP) {
		__u8 hdr[4];
		if (bpf_skb_load_bytes(skb, l4_off, hdr, sizeof(hdr)) < 0)
			return PARSE_BAD;
		pkt->sport = ((__u16)hdr[0] << 8) | hdr[1];
		pkt->dport = ((__u16)hdr[2] << 8) | hdr[3];
	} else if (pkt->protocol == IPPROTO_ICMPV6) {
		__u8 type;
		if (bpf_skb_load_bytes(skb, l4_off, &type, 1) < 0)
			return PARSE_BAD;
		/* Link control the kernel sends on every IPv6 link, never a pod's traffic: MLD (query,
		 * report, done; 143 = MLDv2 report) and ND (RS, RA, NS, NA, redirect). Judging them would
		 * only fill the drop alerts with the host veth's fe80:: -> ff02::16 reports. */
		if ((type >= 130 && type <= 137) || type == 143)
			return PARSE_EXEMPT;
	}
	return PARSE_OK;
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, struct packet *pkt)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);

	if ((void *)(ip + 1) > data_end)
		return PARSE_BAD;
	if (ip->ihl < 5)
		return PARSE_BAD;
	pkt->family = 4;
	pkt->protocol = ip->protocol;
	pkt->saddr[10] = 0xff;
	pkt->saddr[11] = 0xff;
	pkt->daddr[10] = 0xff;
	pkt->daddr[11] = 0xff;
	__builtin_memcpy(&pkt->saddr[12], &ip->saddr, 4);
	__builtin_memcpy(&pkt->daddr[12], &ip->daddr, 4);
	if (bpf_ntohs(ip->frag_off) & 0x1fff)
		pkt->fragment = 1;
	return parse_l4(skb, sizeof(struct ethhdr) + ip->ihl * 4, pkt);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, struct packet *pkt)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);

	if ((void *)(ip6 + 1) > data_end)
		return PARSE_BAD;
	pkt->family = 6;
	__builtin_memcpy(pkt->saddr, &ip6->saddr, 16);
	__builtin_memcpy(pkt->daddr, &ip6->daddr, 16);

	__u8 next = ip6->nexthdr;
	__u32 off = sizeof(struct ethhdr) + sizeof(struct ipv6hdr);
	/* One pass per extension header, and one more for the transport header after the last. */
#pragma unroll
	for (int i = 0; i <= NETPOL_MAX_EXT_HEADERS; i++) {
		__u8 ext[4];
		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (bpf_skb_load_bytes(skb, off, ext, 2) < 0)
				return PARSE_BAD;
			next = ext[0];
			off += ((__u32)ext[1] + 1) * 8;
			continue;
		case IPPROTO_AH:
			if (bpf_skb_load_bytes(skb, off, ext, 2) < 0)
				return PARSE_BAD;
			next = ext[0];
			off += ((__u32)ext[1] + 2) * 4;
			continue;
		case IPPROTO_FRAGMENT:
			if (bpf_skb_load_bytes(skb, off, ext, 4) < 0)
				return PARSE_BAD;
			next = ext[0];
			if ((((__u16)ext[2] << 8) | ext[3]) & 0xfff8)
				pkt->fragment = 1;
			off += 8;
			continue;
		default:
			pkt->protocol = next;
			return parse_l4(skb, off, pkt);
		}
	}
	return PARSE_BAD;
}

/* Returns PARSE_*; fills pkt when PARSE_OK (or PARSE_BAD after the addresses were read). */
static __always_inline int parse(struct __sk_buff *skb, struct packet *pkt)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return PARSE_NOT_IP;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(skb, pkt);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(skb, pkt);
	return PARSE_NOT_IP;
}

static __always_inline __u32 identity_of(const __u8 *addr)
{
	struct netpol_ipcache_key key = { .prefixlen = 128 };
	__builtin_memcpy(key.addr, addr, 16);
	struct netpol_ipcache_value *value = bpf_map_lookup_elem(&ipcache, &key);
	return value ? value->identity : NETPOL_IDENTITY_WORLD;
}

/*
 * Builds the normalised conntrack key; returns 1 when the packet's source is the lo side. The
 * addresses compare as four big-endian words: the same order as memcmp, in four steps instead of
 * sixteen.
 */
static __always_inline int ct_key_of(const struct packet *pkt, __u32 endpoint_id,
				     struct netpol_ct_key *key)
{
	const __u32 *s = (const __u32 *)pkt->saddr;
	const __u32 *d = (const __u32 *)pkt->daddr;
	int src_is_lo = pkt->sport <= pkt->dport;
#pragma unroll
	for (int i = 0; i < 4; i++) {
		if (s[i] != d[i]) {
			src_is_lo = bpf_ntohl(s[i]) < bpf_ntohl(d[i]);
			break;
		}
	}
	if (src_is_lo) {
		__builtin_memcpy(key->lo_addr, pkt->saddr, 16);
		__builtin_memcpy(key->hi_addr, pkt->daddr, 16);
		key->lo_port = pkt->sport;
		key->hi_port = pkt->dport;
	} else {
		__builtin_memcpy(key->lo_addr, pkt->daddr, 16);
		__builtin_memcpy(key->hi_addr, pkt->saddr, 16);
		key->lo_port = pkt->dport;
		key->hi_port = pkt->sport;
	}
	key->endpoint_id = endpoint_id;
	key->protocol = pkt->protocol;
	return src_is_lo;
}

static __always_inline __u64 ct_lifetime_ns(const struct netpol_ct_value *ct, __u8 protocol)
{
	if (ct->state == NETPOL_CT_CLOSING)
		return (__u64)netpol_config.ct_tcp_closing_s * NSEC_PER_SEC;
	if (protocol == IPPROTO_TCP && ct->state == NETPOL_CT_ESTABLISHED)
		return (__u64)netpol_config.ct_tcp_lifetime_s * NSEC_PER_SEC;
	return (__u64)netpol_config.ct_other_lifetime_s * NSEC_PER_SEC;
}

/* Returns 1 when the packet belongs to a live tracked connection (and refreshes it), else 0. */
static __always_inline int ct_track(const struct packet *pkt, const struct netpol_ct_key *key,
				    int src_is_lo, __u64 now)
{
	struct netpol_ct_value *ct = bpf_map_lookup_elem(&conntrack, key);
	if (!ct)
		return 0;
	/* Signed: an entry stamped a moment ahead of this clock (the precise clock of an older
	 * object, a jiffy apart) is fresh, not 584 years old. */
	__s64 age = (__s64)(now - ct->last_seen_ns);
	if (age > (__s64)ct_lifetime_ns(ct, pkt->protocol))
		return 0;
	int is_syn = (pkt->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
	if (pkt->protocol == IPPROTO_TCP && is_syn && ct->state == NETPOL_CT_CLOSING)
		return 0;
	int origin_lo = !!(ct->flags & NETPOL_CT_F_ORIGIN_LO);
	if (src_is_lo != origin_lo && ct->state == NETPOL_CT_NEW)
		ct->state = NETPOL_CT_ESTABLISHED;
	/* Writes only on a change of state, and the timestamp at most once a second: an entry is
	 * shared by both directions (two CPUs), and a store on every packet bounces its cache line. */
	if (pkt->protocol == IPPROTO_TCP && (pkt->tcp_flags & (TCPF_FIN | TCPF_RST)) &&
	    ct->state != NETPOL_CT_CLOSING) {
		ct->state = NETPOL_CT_CLOSING;
		ct->last_seen_ns = now;
	} else if (age > (__s64)NSEC_PER_SEC) {
		ct->last_seen_ns = now;
	}
	return 1;
}

static __always_inline void ct_create(const struct netpol_ct_key *key, int src_is_lo, __u32 dir,
				      __u64 now)
{
	struct netpol_ct_value ct = {
		.created_ns = now,
		.last_seen_ns = now,
		.state = NETPOL_CT_NEW,
		.flags = (src_is_lo ? NETPOL_CT_F_ORIGIN_LO : 0) |
			 (dir == NETPOL_DIR_EGRESS ? NETPOL_CT_F_ORIGIN_EGRESS : 0),
	};
	bpf_map_update_elem(&conntrack, key, &ct, BPF_ANY);
}

/* Looks up the endpoint's rules for (identity, protocol, port); returns the value or NULL. */
static __always_inline struct netpol_policy_value *
policy_lookup(void *rules, __u32 identity, const struct packet *pkt)
{
	struct netpol_policy_key key = {
		.prefixlen = NETPOL_POLICY_PREFIX_FULL,
		.identity = identity,
		.protocol = pkt->protocol,
		.port_be = bpf_htons(pkt->fragment ? 0 : pkt->dport),
	};
	return bpf_map_lookup_elem(rules, &key);
}

static __always_inline void count_global(__u32 index)
{
	__u64 *value = bpf_map_lookup_elem(&global_counters, &index);
	if (value)
		*value += 1;
}

static __always_inline void count_endpoint(__u32 endpoint_id, __u32 bytes, int allowed)
{
	struct netpol_endpoint_counters *counters =
		bpf_map_lookup_elem(&endpoint_counters, &endpoint_id);
	if (!counters) {
		struct netpol_endpoint_counters zero = {};
		bpf_map_update_elem(&endpoint_counters, &endpoint_id, &zero, BPF_NOEXIST);
		counters = bpf_map_lookup_elem(&endpoint_counters, &endpoint_id);
		if (!counters)
			return;
	}
	if (allowed) {
		counters->allowed_packets += 1;
		counters->allowed_bytes += bytes;
	} else {
		counters->dropped_packets += 1;
		counters->dropped_bytes += bytes;
	}
}

/* Writes an event unless this flow reported one less than event_interval_ns ago. */
static __always_inline void report(const struct packet *pkt, const struct netpol_ct_key *flow,
				   __u32 identity, __u32 dir, __u8 kind, __u8 reason,
				   __u32 rule_id)
{
	__u64 now = bpf_ktime_get_coarse_ns();
	struct netpol_ct_key rl_key = *flow;
	rl_key.pad[0] = reason;
	rl_key.pad[1] = dir;
	__u32 suppressed = 0;
	struct netpol_ratelimit_value *rl = bpf_map_lookup_elem(&event_ratelimit, &rl_key);
	if (rl) {
		if ((__s64)(now - rl->last_report_ns) < (__s64)netpol_config.event_interval_ns) {
			__sync_fetch_and_add(&rl->suppressed, 1);
			count_global(NETPOL_COUNTER_EVENTS_SUPPRESSED);
			return;
		}
		suppressed = rl->suppressed;
	}
	struct netpol_event *event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		count_global(NETPOL_COUNTER_EVENTS_LOST);
		return;
	}
	__builtin_memset(event, 0, sizeof(*event));
	event->timestamp_ns = bpf_ktime_get_ns();
	__builtin_memcpy(event->saddr, pkt->saddr, 16);
	__builtin_memcpy(event->daddr, pkt->daddr, 16);
	event->endpoint_id = flow->endpoint_id;
	event->peer_identity = identity;
	event->rule_id = rule_id;
	event->suppressed = suppressed;
	event->sport = pkt->sport;
	event->dport = pkt->dport;
	event->protocol = pkt->protocol;
	event->direction = dir;
	event->kind = kind;
	event->reason = reason;
	event->family = pkt->family;
	bpf_ringbuf_submit(event, 0);
	struct netpol_ratelimit_value fresh = { .last_report_ns = now };
	bpf_map_update_elem(&event_ratelimit, &rl_key, &fresh, BPF_ANY);
}

static __always_inline int drop(const struct packet *pkt, const struct netpol_ct_key *flow,
				__u32 identity, __u32 dir, __u8 reason, __u32 bytes)
{
	count_endpoint(flow->endpoint_id, bytes, 0);
	report(pkt, flow, identity, dir, NETPOL_EVENT_DROP, reason, 0);
	return TC_ACT_SHOT;
}

/*
 * A drop the direction's rules decided, in a direction isolated only by policies in audit mode:
 * the packet passes and is reported as WOULD_DROP (rate-limited per flow like drops). A tracked
 * flow is created (not for fragments), so the rest of the connection passes on conntrack, exactly
 * as it would once those rules allowed it, and each flow is reported once, not per packet.
 */
static __always_inline int would_drop(const struct packet *pkt, const struct netpol_ct_key *flow,
				      __u32 identity, __u32 dir, __u8 reason, __u32 bytes,
				      int src_is_lo, __u64 now)
{
	count_endpoint(flow->endpoint_id, bytes, 1);
	if (!pkt->fragment)
		ct_create(flow, src_is_lo, dir, now);
	report(pkt, flow, identity, dir, NETPOL_EVENT_WOULD_DROP, reason, 0);
	return TC_ACT_OK;
}

/* drop(), or would_drop() when the direction is in audit mode. */
static __always_inline int rule_drop(const struct packet *pkt, const struct netpol_ct_key *flow,
				     __u32 identity, __u32 dir, __u8 reason, __u32 bytes, int audit,
				     int src_is_lo, __u64 now)
{
	if (audit)
		return would_drop(pkt, flow, identity, dir, reason, bytes, src_is_lo, now);
	return drop(pkt, flow, identity, dir, reason, bytes);
}

/*
 * The one enforcement path; dir is the pod-side direction. Returns a TC_ACT_* verdict.
 *
 * Order, cheapest answer first: the endpoint (a hash lookup), then conntrack, and only for a packet
 * that conntrack does not pass the peer's identity (an LPM walk) and the rules. A packet of a live
 * tracked flow passes whatever its peer's identity is now (established flows survive policy and
 * identity changes), so it never needs the identity. Traffic of the HOST identity never creates a
 * conntrack entry, so looking it up after conntrack changes no verdict.
 *
 * Time is the coarse monotonic clock (a jiffy's resolution, no clock read): conntrack lifetimes
 * and the event interval are seconds. Event timestamps read the precise clock, once per event.
 */
static __always_inline int enforce(struct __sk_buff *skb, __u32 dir)
{
	struct packet pkt = {};
	int parsed = parse(skb, &pkt);
	if (parsed == PARSE_NOT_IP || parsed == PARSE_EXEMPT)
		return TC_ACT_OK;

	__u64 now = bpf_ktime_get_coarse_ns();
	const __u8 *peer = dir == NETPOL_DIR_INGRESS ? pkt.saddr : pkt.daddr;
	struct netpol_endpoint_key ep_key = { .ifindex = skb->ifindex };
	struct netpol_endpoint_value *ep = bpf_map_lookup_elem(&endpoints, &ep_key);
	__u32 endpoint_id = ep ? ep->endpoint_id : 0;
	__u32 flags = ep ? ep->flags : 0;
	struct netpol_ct_key flow = {};
	int src_is_lo = ct_key_of(&pkt, endpoint_id, &flow);

	if (!(flags & NETPOL_EP_READY) || parsed == PARSE_BAD) {
		/* Rare paths: decided before conntrack, as the verdicts documented above say. */
		__u32 identity = identity_of(peer);
		if (identity == NETPOL_IDENTITY_HOST)
			return TC_ACT_OK; /* the node's own traffic (kubelet probes) is always allowed */
		if (!ep)
			return drop(&pkt, &flow, identity, dir, NETPOL_REASON_NO_ENDPOINT, skb->len);
		if (!(flags & NETPOL_EP_READY))
			return drop(&pkt, &flow, identity, dir, NETPOL_REASON_NOT_READY, skb->len);
	}

	__u32 isolated_flag =
		dir == NETPOL_DIR_INGRESS ? NETPOL_EP_INGRESS_ISOLATED : NETPOL_EP_EGRESS_ISOLATED;
	int isolated = !!(flags & isolated_flag);
	__u32 audit_flag =
		dir == NETPOL_DIR_INGRESS ? NETPOL_EP_INGRESS_AUDIT : NETPOL_EP_EGRESS_AUDIT;
	int audit = !!(flags & audit_flag);
	if (parsed == PARSE_BAD) {
		if (isolated)
			return rule_drop(&pkt, &flow, identity_of(peer), dir,
					 NETPOL_REASON_UNPARSABLE, skb->len, audit, src_is_lo, now);
		count_endpoint(endpoint_id, skb->len, 1);
		return TC_ACT_OK;
	}

	if (!pkt.fragment && ct_track(&pkt, &flow, src_is_lo, now)) {
		count_endpoint(endpoint_id, skb->len, 1);
		return TC_ACT_OK;
	}

	__u32 identity = identity_of(peer);
	if (identity == NETPOL_IDENTITY_HOST)
		return TC_ACT_OK; /* the node's own traffic (kubelet probes) is always allowed */

	__u8 reason = NETPOL_REASON_ALLOWED_NOT_ISOLATED;
	__u32 rule_id = 0;
	if (isolated) {
		struct netpol_policy_outer_key outer = { .endpoint_id = endpoint_id, .direction = dir };
		void *rules = bpf_map_lookup_elem(&policy, &outer);
		struct netpol_policy_value *verdict = NULL;
		if (rules) {
			verdict = policy_lookup(rules, identity, &pkt);
			if (!verdict)
				verdict = policy_lookup(rules, NETPOL_IDENTITY_ANY, &pkt);
		}
		if (!verdict) {
			__u8 why = pkt.fragment ? NETPOL_REASON_FRAGMENT
				   : dir == NETPOL_DIR_INGRESS ? NETPOL_REASON_NO_RULE_INGRESS
							      : NETPOL_REASON_NO_RULE_EGRESS;
			return rule_drop(&pkt, &flow, identity, dir, why, skb->len, audit, src_is_lo,
					 now);
		}
		if (verdict->verdict != NETPOL_VERDICT_ALLOW)
			return rule_drop(&pkt, &flow, identity, dir, NETPOL_REASON_POLICY_DENY,
					 skb->len, audit, src_is_lo, now);
		reason = NETPOL_REASON_ALLOWED_BY_RULE;
		rule_id = verdict->rule_id;
	}

	count_endpoint(endpoint_id, skb->len, 1);
	if (!pkt.fragment) {
		ct_create(&flow, src_is_lo, dir, now);
		__u32 one_in = netpol_config.allow_sample_one_in;
		if (one_in && bpf_get_prandom_u32() % one_in == 0)
			report(&pkt, &flow, identity, dir, NETPOL_EVENT_ALLOW_NEW_FLOW, reason,
			       rule_id);
	}
	return TC_ACT_OK;
}

/* Attached to the host veth's egress hook: packets going INTO the pod. */
SEC("tc")
int netpol_pod_ingress(struct __sk_buff *skb)
{
	return enforce(skb, NETPOL_DIR_INGRESS);
}

/* Attached to the host veth's ingress hook: packets coming FROM the pod. */
SEC("tc")
int netpol_pod_egress(struct __sk_buff *skb)
{
	return enforce(skb, NETPOL_DIR_EGRESS);
}

char LICENSE[] SEC("license") = "GPL";

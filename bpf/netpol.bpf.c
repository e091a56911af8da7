// SPDX-License-Identifier: Apache-2.0
/*
 * netpol.bpf.c: NetworkPolicy enforcement on the host-side veth of each local pod (tc clsact).
 *
 * Routed-veth layout: what the host veth transmits (its egress hook) is the pod's INGRESS, what it
 * receives (its ingress hook) is the pod's EGRESS. Both programs run enforce() with the pod-side
 * direction; IPv4 and IPv6 share every helper (addresses are 16 bytes, IPv4 mapped).
 *
 * Per packet: endpoints[ifindex] -> conntrack (one lookup, normalised key) -> for a packet conntrack
 * does not pass, ipcache LPM (peer address -> identity) and at most two LPM lookups in the
 * endpoint's policy for the direction: (peer identity, protocol, port) then (ANY, protocol, port).
 * The cost does not depend on the number of rules. All policy logic lives in user space
 * (src/adapters/bpf/ and the agent).
 *
 * Same-node single pass (what Cilium does for local delivery): when a pod's new flow leaves its veth
 * towards a ready local endpoint (the FIB says which veth), the destination's ingress is judged
 * there too, one conntrack entry admits both, and the packet is marked for the destination's veth
 * (skb->mark, NETPOL_MARK_* below), whose program passes it after checking the mark names its own
 * ifindex. Later packets of the flow are marked by whichever end sends them. Drops, events and
 * counters are the destination's own, as its veth would have written them. Not local: a FIB lookup
 * per new flow and nothing else.
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
 * Conntrack: an LRU hash per normalised 5-tuple, shared by the flow's local endpoints (at most two):
 * a packet passes on it only at an endpoint the entry lists. Entries are never deleted by user
 * space: a stale entry is ignored (judged anew) and rewritten in place by the next new flow of the
 * same tuple, the LRU recycles the rest. No clean-up can race a live flow. FIN/RST moves an entry to
 * CLOSING (short lifetime); a SYN on a CLOSING entry is a new flow.
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

/* The packet's linear part, read once from the context by parse() and handed down. */
struct linear {
	void *data;
	void *data_end;
};

/*
 * Copies len bytes of the transport header: straight from the packet when `direct` says `at`
 * points at it (derived from a header by a constant offset: no options, no extension headers, the
 * usual case) and they are in its linear part, else through bpf_skb_load_bytes at off. A variable
 * offset into the packet (or a NULL test of a packet pointer) would be simpler, but the verifier
 * refuses both to a loader without CAP_PERFMON (Spectre v1 sanitation), which is the DaemonSet's
 * case (BPF and NET_ADMIN only). Returns 0, or < 0 past the packet's end.
 */
static __always_inline int load_l4(struct __sk_buff *skb, const struct linear *lin, __u8 *at,
				   int direct, __u32 off, void *to, __u32 len)
{
	if (direct && (void *)(at + len) <= lin->data_end) {
		__builtin_memcpy(to, at, len);
		return 0;
	}
	return bpf_skb_load_bytes(skb, off, to, len);
}

/* Reads ports (and TCP flags) at l4_off (at `at` when direct); returns PARSE_OK or PARSE_BAD. */
static __always_inline int parse_l4(struct __sk_buff *skb, const struct linear *lin, __u8 *at,
				    int direct, __u32 l4_off, struct packet *pkt)
{
	if (pkt->fragment)
		return PARSE_OK;
	if (pkt->protocol == IPPROTO_TCP) {
		__u8 hdr[14];
		if (load_l4(skb, lin, at, direct, l4_off, hdr, sizeof(hdr)) < 0)
			return PARSE_BAD;
		pkt->sport = ((__u16)hdr[0] << 8) | hdr[1];
		pkt->dport = ((__u16)hdr[2] << 8) | hdr[3];
		pkt->tcp_flags = hdr[13];
	} else if (pkt->protocol == IPPROTO_UDP || pkt->protocol == IPPROTO_SCTP) {
		__u8 hdr[4];
		if (load_l4(skb, lin, at, direct, l4_off, hdr, sizeof(hdr)) < 0)
			return PARSE_BAD;
		pkt->sport = ((__u16)hdr[0] << 8) | hdr[1];
		pkt->dport = ((__u16)hdr[2] << 8) | hdr[3];
	} else if (pkt->protocol == IPPROTO_ICMPV6) {
		__u8 type;
		if (load_l4(skb, lin, at, direct, l4_off, &type, 1) < 0)
			return PARSE_BAD;
		/* Link control the kernel sends on every IPv6 link, never a pod's traffic: MLD (query,
		 * report, done; 143 = MLDv2 report) and ND (RS, RA, NS, NA, redirect). Judging them would
		 * only fill the drop alerts with the host veth's fe80:: -> ff02::16 reports. */
		if ((type >= 130 && type <= 137) || type == 143)
			return PARSE_EXEMPT;
	}
	return PARSE_OK;
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, const struct linear *lin,
				      struct packet *pkt)
{
	struct iphdr *ip = lin->data + sizeof(struct ethhdr);

	if ((void *)(ip + 1) > lin->data_end)
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
	/* No options: the transport header is right after the fixed header. */
	return parse_l4(skb, lin, (__u8 *)(ip + 1), ip->ihl == 5, sizeof(struct ethhdr) + ip->ihl * 4,
			pkt);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, const struct linear *lin,
				      struct packet *pkt)
{
	struct ipv6hdr *ip6 = lin->data + sizeof(struct ethhdr);

	if ((void *)(ip6 + 1) > lin->data_end)
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
			/* No extension header: the transport header follows the fixed one. */
			return parse_l4(skb, lin, (__u8 *)(ip6 + 1), i == 0, off, pkt);
		}
	}
	return PARSE_BAD;
}

/* Returns PARSE_*; fills pkt when PARSE_OK (or PARSE_BAD after the addresses were read). */
static __always_inline int parse(struct __sk_buff *skb, struct packet *pkt)
{
	struct linear lin = {
		.data = (void *)(long)skb->data,
		.data_end = (void *)(long)skb->data_end,
	};
	struct ethhdr *eth = lin.data;

	if ((void *)(eth + 1) > lin.data_end)
		return PARSE_NOT_IP;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(skb, &lin, pkt);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(skb, &lin, pkt);
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
 * Builds the normalised conntrack key (endpoint_id 0: an entry is the flow's, shared by its local
 * endpoints); returns 1 when the packet's source is the lo side. The addresses compare as four
 * big-endian words: the same order as memcmp, in four steps instead of sixteen.
 */
static __always_inline int ct_key_of(const struct packet *pkt, struct netpol_ct_key *key)
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

/* Whether the flow's entry still holds (not aged out, not a new SYN on a closing connection). */
static __always_inline int ct_is_live(const struct netpol_ct_value *ct, const struct packet *pkt,
				      __u64 now)
{
	/* Signed: an entry stamped a moment ahead of this clock (the precise clock of an older
	 * object, a jiffy apart) is fresh, not 584 years old. */
	__s64 age = (__s64)(now - ct->last_seen_ns);
	if (age > (__s64)ct_lifetime_ns(ct, pkt->protocol))
		return 0;
	int is_syn = (pkt->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
	return !(pkt->protocol == IPPROTO_TCP && is_syn && ct->state == NETPOL_CT_CLOSING);
}

/* Which of the entry's endpoints endpoint_id is (0 or 1), or -1 when it has not admitted the flow. */
static __always_inline int ct_slot(const struct netpol_ct_value *ct, __u32 endpoint_id)
{
	if (ct->endpoint_ids[0] == endpoint_id)
		return 0;
	if (ct->endpoint_ids[1] == endpoint_id)
		return 1;
	return -1;
}

/* A packet of a live flow at one of its endpoints: moves the state machine, refreshes the entry. */
static __always_inline void ct_refresh(struct netpol_ct_value *ct, const struct packet *pkt,
				       int src_is_lo, __u64 now)
{
	__s64 age = (__s64)(now - ct->last_seen_ns);
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
}

/* A new entry admitted by endpoint_id; the caller may add the second endpoint before ct_create(). */
static __always_inline void ct_init(struct netpol_ct_value *ct, __u32 endpoint_id, int src_is_lo,
				    __u32 dir, __u64 now)
{
	ct->created_ns = now;
	ct->last_seen_ns = now;
	ct->endpoint_ids[0] = endpoint_id;
	ct->state = NETPOL_CT_NEW;
	ct->flags = (src_is_lo ? NETPOL_CT_F_ORIGIN_LO : 0) |
		    (dir == NETPOL_DIR_EGRESS ? NETPOL_CT_F_ORIGIN_EGRESS : 0);
}

/*
 * Stores a new entry. Over a stale entry of the same flow (aged out, or a closed connection whose
 * ports a new SYN reuses: a busy client cycles through its ports in seconds) it is rewritten in
 * place: an LRU update allocates an element, which on a full map means evicting others, the
 * largest part of a new connection's cost.
 */
static __always_inline void ct_create(const struct netpol_ct_key *key, struct netpol_ct_value *stale,
				      const struct netpol_ct_value *ct)
{
	if (stale)
		__builtin_memcpy(stale, ct, sizeof(*ct));
	else
		bpf_map_update_elem(&conntrack, key, ct, BPF_ANY);
}

/*
 * Adds an endpoint to a live entry another local endpoint created (a same-node flow both sides
 * judged at their own veth). Slot 1 is taken over when it names another endpoint: one that left
 * (a pod replaced under the same address) never admits the new one.
 */
static __always_inline void ct_join(struct netpol_ct_value *ct, __u32 endpoint_id)
{
	ct->endpoint_ids[1] = endpoint_id;
	ct->ifindexes[0] = 0;
	ct->ifindexes[1] = 0;
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
				   __u32 endpoint_id, __u32 identity, __u32 dir, __u8 kind,
				   __u8 reason, __u32 rule_id)
{
	__u64 now = bpf_ktime_get_coarse_ns();
	struct netpol_ct_key rl_key = *flow;
	rl_key.endpoint_id = endpoint_id;
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
	event->endpoint_id = endpoint_id;
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
	if (rl) {
		/* In place: an LRU update allocates an element and frees the old one. The count
		 * races a concurrent suppression at worst by one, which only the metric sees. */
		rl->last_report_ns = now;
		rl->suppressed = 0;
		return;
	}
	struct netpol_ratelimit_value fresh = { .last_report_ns = now };
	bpf_map_update_elem(&event_ratelimit, &rl_key, &fresh, BPF_ANY);
}

static __always_inline int drop(const struct packet *pkt, const struct netpol_ct_key *flow,
				__u32 endpoint_id, __u32 identity, __u32 dir, __u8 reason,
				__u32 bytes)
{
	count_endpoint(endpoint_id, bytes, 0);
	report(pkt, flow, endpoint_id, identity, dir, NETPOL_EVENT_DROP, reason, 0);
	return TC_ACT_SHOT;
}

/*
 * One endpoint's rules for one direction, for a packet conntrack did not pass. The verdict of the
 * rules alone (no conntrack write, no count, no event): the caller acts on it.
 */
struct judgement {
	__u8 allowed;  /* the rules (or no isolation) let it through */
	__u8 audit;    /* not allowed, but the direction is in audit mode: pass and report */
	__u8 reason;   /* NETPOL_REASON_*: why it is allowed or dropped */
	__u32 rule_id; /* the allowing rule, when allowed by one */
};

static __always_inline struct judgement judge(__u32 endpoint_id, __u32 flags, __u32 dir,
					      __u32 identity, const struct packet *pkt)
{
	struct judgement j = { .allowed = 1, .reason = NETPOL_REASON_ALLOWED_NOT_ISOLATED };
	__u32 isolated_flag =
		dir == NETPOL_DIR_INGRESS ? NETPOL_EP_INGRESS_ISOLATED : NETPOL_EP_EGRESS_ISOLATED;
	if (!(flags & isolated_flag))
		return j;
	__u32 audit_flag =
		dir == NETPOL_DIR_INGRESS ? NETPOL_EP_INGRESS_AUDIT : NETPOL_EP_EGRESS_AUDIT;
	struct netpol_policy_outer_key outer = { .endpoint_id = endpoint_id, .direction = dir };
	void *rules = bpf_map_lookup_elem(&policy, &outer);
	struct netpol_policy_value *verdict = NULL;
	if (rules) {
		verdict = policy_lookup(rules, identity, pkt);
		if (!verdict)
			verdict = policy_lookup(rules, NETPOL_IDENTITY_ANY, pkt);
	}
	if (verdict && verdict->verdict == NETPOL_VERDICT_ALLOW) {
		j.reason = NETPOL_REASON_ALLOWED_BY_RULE;
		j.rule_id = verdict->rule_id;
		return j;
	}
	j.allowed = 0;
	j.audit = !!(flags & audit_flag);
	j.reason = verdict ? NETPOL_REASON_POLICY_DENY
		   : pkt->fragment ? NETPOL_REASON_FRAGMENT
		   : dir == NETPOL_DIR_INGRESS ? NETPOL_REASON_NO_RULE_INGRESS
					      : NETPOL_REASON_NO_RULE_EGRESS;
	return j;
}

/*
 * Same-node single pass. skb->mark bits (NETPOL_MARK_MASK) of a packet the initiator's veth
 * judged for the destination's ingress too: NETPOL_MARK_MAGIC in bits 8-11 and the low 16 bits of
 * the destination veth's ifindex in bits 16-31. The mark survives from the source veth's tc
 * ingress to the destination veth's tc egress inside the node namespace; a pod cannot set it (a
 * packet crossing the veth from the pod's namespace has its mark scrubbed). The destination's
 * program passes a packet whose mark names its own veth (a packet DNAT'd to another local pod on
 * the way is judged there as usual) and clears the bits. Chosen clear of kube-proxy's 0x4000 and
 * 0x8000, the AWS VPC CNI's 0x80 and the low byte other tools use; it collides with CNIs that own
 * the upper bits (Calico, Cilium), which enforce policies themselves and are not a fit anyway
 * (README, "Which clusters the agent fits"). The 16-bit tag is a residual: a packet DNAT'd from
 * one local pod's address to another's whose ifindex equals modulo 65536 passes unjudged.
 */
#define NETPOL_MARK_MASK 0xffff0f00u
#define NETPOL_MARK_MAGIC 0x00000d00u

static __always_inline __u32 pass_mark_of(__u32 ifindex)
{
	return ((ifindex & 0xffff) << 16) | NETPOL_MARK_MAGIC;
}

/* Sets the single-pass mark for the veth ifindex, keeping every bit that is not ours. */
static __always_inline void mark_for(struct __sk_buff *skb, __u32 ifindex)
{
	if (ifindex & 0xffff)
		skb->mark = (skb->mark & ~NETPOL_MARK_MASK) | pass_mark_of(ifindex);
}

/*
 * The local endpoint a packet leaving a pod is routed to (its host veth and endpoint entry), or
 * NULL when the destination is not a ready local endpoint: the FIB's main table (pods are /32 and
 * /128 routes to their host veth), no neighbour needed.
 */
static __always_inline struct netpol_endpoint_value *
local_destination(struct __sk_buff *skb, const struct packet *pkt, __u32 *ifindex)
{
	struct bpf_fib_lookup fib = { .ifindex = skb->ifindex };
	if (pkt->family == 4) {
		fib.family = 2; /* AF_INET */
		__builtin_memcpy(&fib.ipv4_src, &pkt->saddr[12], 4);
		__builtin_memcpy(&fib.ipv4_dst, &pkt->daddr[12], 4);
	} else {
		fib.family = 10; /* AF_INET6 */
		__builtin_memcpy(fib.ipv6_src, pkt->saddr, 16);
		__builtin_memcpy(fib.ipv6_dst, pkt->daddr, 16);
	}
	long ret = bpf_fib_lookup(skb, &fib, sizeof(fib),
				  BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_SKIP_NEIGH);
	if (ret != BPF_FIB_LKUP_RET_SUCCESS || fib.ifindex == skb->ifindex)
		return NULL;
	struct netpol_endpoint_key key = { .ifindex = fib.ifindex };
	struct netpol_endpoint_value *ep = bpf_map_lookup_elem(&endpoints, &key);
	if (!ep || !(ep->flags & NETPOL_EP_READY))
		return NULL;
	*ifindex = fib.ifindex;
	return ep;
}

/*
 * At the initiator's veth (its egress, allowed): when the destination is a ready local endpoint,
 * judges its ingress here as its own program would (same identity, rules, audit, counters and
 * events under its endpoint id). Returns TC_ACT_SHOT when its rules drop the packet; otherwise
 * TC_ACT_OK, with the destination added to the new entry `ct` and the packet marked when it
 * admitted the flow (not for a would-drop: an audited flow is judged again at its veth, as today).
 */
static __always_inline int single_pass(struct __sk_buff *skb, const struct packet *pkt,
				       const struct netpol_ct_key *flow,
				       struct netpol_ct_value *ct)
{
	__u32 dest_ifindex = 0;
	struct netpol_endpoint_value *dest = local_destination(skb, pkt, &dest_ifindex);
	if (!dest)
		return TC_ACT_OK;
	__u32 dest_id = dest->endpoint_id;
	__u32 identity = identity_of(pkt->saddr);
	if (identity == NETPOL_IDENTITY_HOST)
		return TC_ACT_OK;
	struct judgement j = judge(dest_id, dest->flags, NETPOL_DIR_INGRESS, identity, pkt);
	if (!j.allowed) {
		if (j.audit)
			return TC_ACT_OK;
		return drop(pkt, flow, dest_id, identity, NETPOL_DIR_INGRESS, j.reason, skb->len);
	}
	count_endpoint(dest_id, skb->len, 1);
	ct->endpoint_ids[1] = dest_id;
	ct->ifindexes[0] = skb->ifindex;
	ct->ifindexes[1] = dest_ifindex;
	mark_for(skb, dest_ifindex);
	__u32 one_in = netpol_config.allow_sample_one_in;
	if (one_in && bpf_get_prandom_u32() % one_in == 0)
		report(pkt, flow, dest_id, identity, NETPOL_DIR_INGRESS, NETPOL_EVENT_ALLOW_NEW_FLOW,
		       j.reason, j.rule_id);
	return TC_ACT_OK;
}

/*
 * The one enforcement path; dir is the pod-side direction. Returns a TC_ACT_* verdict.
 *
 * Order, cheapest answer first: a packet the initiator's veth already judged for this endpoint
 * (single-pass mark), the endpoint (a hash lookup), then conntrack, and only for a packet that
 * conntrack does not pass the peer's identity (an LPM walk) and the rules. A packet of a live
 * tracked flow passes whatever its peer's identity is now (established flows survive policy and
 * identity changes), so it never needs the identity. Traffic of the HOST identity never creates a
 * conntrack entry, so looking it up after conntrack changes no verdict.
 *
 * Time is the coarse monotonic clock (a jiffy's resolution, no clock read): conntrack lifetimes
 * and the event interval are seconds. Event timestamps read the precise clock, once per event.
 */
static __always_inline int enforce(struct __sk_buff *skb, __u32 dir)
{
	struct netpol_endpoint_key ep_key = { .ifindex = skb->ifindex };
	struct netpol_endpoint_value *ep;
	if (dir == NETPOL_DIR_INGRESS && (skb->mark & NETPOL_MARK_MAGIC) == NETPOL_MARK_MAGIC) {
		__u32 mark = skb->mark;
		skb->mark = mark & ~NETPOL_MARK_MASK;
		if ((mark & NETPOL_MARK_MASK) == pass_mark_of(skb->ifindex)) {
			ep = bpf_map_lookup_elem(&endpoints, &ep_key);
			/* Judged for this endpoint at the initiator's veth (conntrack or rules). A
			 * pod made not ready since is judged here again, and drops. */
			if (ep && (ep->flags & NETPOL_EP_READY)) {
				count_endpoint(ep->endpoint_id, skb->len, 1);
				return TC_ACT_OK;
			}
		}
	}

	struct packet pkt = {};
	int parsed = parse(skb, &pkt);
	if (parsed == PARSE_NOT_IP || parsed == PARSE_EXEMPT)
		return TC_ACT_OK;

	__u64 now = bpf_ktime_get_coarse_ns();
	const __u8 *peer = dir == NETPOL_DIR_INGRESS ? pkt.saddr : pkt.daddr;
	ep = bpf_map_lookup_elem(&endpoints, &ep_key);
	__u32 endpoint_id = ep ? ep->endpoint_id : 0;
	__u32 flags = ep ? ep->flags : 0;
	struct netpol_ct_key flow = {};
	int src_is_lo = ct_key_of(&pkt, &flow);

	if (!(flags & NETPOL_EP_READY) || parsed == PARSE_BAD) {
		/* Rare paths: decided before conntrack, as the verdicts documented above say. */
		__u32 identity = identity_of(peer);
		if (identity == NETPOL_IDENTITY_HOST)
			return TC_ACT_OK; /* the node's own traffic (kubelet probes) is always allowed */
		if (!ep)
			return drop(&pkt, &flow, endpoint_id, identity, dir,
				    NETPOL_REASON_NO_ENDPOINT, skb->len);
		if (!(flags & NETPOL_EP_READY))
			return drop(&pkt, &flow, endpoint_id, identity, dir, NETPOL_REASON_NOT_READY,
				    skb->len);
	}

	if (parsed == PARSE_BAD) {
		__u32 isolated_flag = dir == NETPOL_DIR_INGRESS ? NETPOL_EP_INGRESS_ISOLATED
								 : NETPOL_EP_EGRESS_ISOLATED;
		if (!(flags & isolated_flag)) {
			count_endpoint(endpoint_id, skb->len, 1);
			return TC_ACT_OK;
		}
		__u32 audit_flag = dir == NETPOL_DIR_INGRESS ? NETPOL_EP_INGRESS_AUDIT
							      : NETPOL_EP_EGRESS_AUDIT;
		__u32 identity = identity_of(peer);
		if (!(flags & audit_flag))
			return drop(&pkt, &flow, endpoint_id, identity, dir, NETPOL_REASON_UNPARSABLE,
				    skb->len);
		/* Constant arguments: a variable `allowed` becomes a variable offset into the
		 * counters, which the verifier refuses to a loader without CAP_PERFMON. */
		count_endpoint(endpoint_id, skb->len, 1);
		report(&pkt, &flow, endpoint_id, identity, dir, NETPOL_EVENT_WOULD_DROP,
		       NETPOL_REASON_UNPARSABLE, 0);
		return TC_ACT_OK;
	}

	struct netpol_ct_value *ct = NULL, *stale = NULL;
	if (!pkt.fragment) {
		ct = bpf_map_lookup_elem(&conntrack, &flow);
		if (ct && !ct_is_live(ct, &pkt, now)) {
			stale = ct;
			ct = NULL;
		}
		int slot = ct ? ct_slot(ct, endpoint_id) : -1;
		if (ct && slot >= 0) {
			ct_refresh(ct, &pkt, src_is_lo, now);
			count_endpoint(endpoint_id, skb->len, 1);
			/* A same-node flow judged in one pass: the other endpoint's veth passes it.
			 * Both read with constant offsets and made opaque before choosing: an index
			 * into the map value is a variable offset, which the verifier refuses to a
			 * loader without CAP_PERFMON (the DaemonSet's). */
			__u32 if0 = ct->ifindexes[0], if1 = ct->ifindexes[1];
			asm volatile("" : "+r"(if0), "+r"(if1));
			if (dir == NETPOL_DIR_EGRESS && (slot ? if1 : if0) == skb->ifindex)
				mark_for(skb, slot ? if0 : if1);
			return TC_ACT_OK;
		}
	}

	__u32 identity = identity_of(peer);
	if (identity == NETPOL_IDENTITY_HOST)
		return TC_ACT_OK; /* the node's own traffic (kubelet probes) is always allowed */

	struct judgement j = judge(endpoint_id, flags, dir, identity, &pkt);
	if (!j.allowed && !j.audit)
		return drop(&pkt, &flow, endpoint_id, identity, dir, j.reason, skb->len);
	count_endpoint(endpoint_id, skb->len, 1);
	if (!j.allowed) {
		/* Audit mode: the packet passes and is reported as WOULD_DROP (rate-limited per flow
		 * like drops). A tracked flow is created as for an allowed one (not for fragments),
		 * so the rest of the connection passes on conntrack, exactly as it would once those
		 * rules allowed it, and each flow is reported once, not per packet. */
		if (!pkt.fragment) {
			if (ct) {
				ct_join(ct, endpoint_id);
			} else {
				struct netpol_ct_value fresh = {};
				ct_init(&fresh, endpoint_id, src_is_lo, dir, now);
				ct_create(&flow, stale, &fresh);
			}
		}
		report(&pkt, &flow, endpoint_id, identity, dir, NETPOL_EVENT_WOULD_DROP, j.reason, 0);
		return TC_ACT_OK;
	}
	if (pkt.fragment)
		return TC_ACT_OK;
	if (ct) {
		/* Another local endpoint of this flow admitted it at its own veth. */
		ct_join(ct, endpoint_id);
	} else {
		struct netpol_ct_value fresh = {};
		ct_init(&fresh, endpoint_id, src_is_lo, dir, now);
		if (dir == NETPOL_DIR_EGRESS && single_pass(skb, &pkt, &flow, &fresh) == TC_ACT_SHOT)
			return TC_ACT_SHOT;
		ct_create(&flow, stale, &fresh);
	}
	__u32 one_in = netpol_config.allow_sample_one_in;
	if (one_in && bpf_get_prandom_u32() % one_in == 0)
		report(&pkt, &flow, endpoint_id, identity, dir, NETPOL_EVENT_ALLOW_NEW_FLOW, j.reason,
		       j.rule_id);
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

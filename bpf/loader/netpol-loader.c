// SPDX-License-Identifier: Apache-2.0
/*
 * netpol-loader: the small kernel-facing helper of the node agent. It knows map names, not policy:
 * every key and value arrives hex-encoded from TypeScript (src/adapters/bpf/), which encodes them
 * from the ABI mirror of bpf/netpol_abi.h.
 *
 * Why a helper process over libbpf rather than a Node addon: no native build inside node_modules
 * (node-gyp, ABI per Node version), a crash or a verifier surprise cannot take the agent down with
 * it, setns() for an attach affects only this single-threaded process (Node runs worker threads
 * that must stay in the root namespace), and the protocol is testable by hand.
 *
 * Protocol: one request a line on stdin, `<id> <command> <args...>`; one reply a line on stdout,
 * `<id> ok [<result...>]` or `<id> err <errno-name> <message>`. After `events`, ring-buffer
 * records arrive unsolicited as `event <hex>`. Single-threaded: poll() on stdin and the ring buffer.
 *
 *   open <object.o> <pin-dir> [<config-hex>]   load programs; maps pinned (or adopted) in pin-dir
 *   attach <netns> <ifname>                    clsact on the link in that namespace -> ok <ifindex>
 *   detach <netns> <ifname>                    remove the clsact qdisc (and both programs)
 *   update <map> <key>:<value> ...             batch of writes (first failure stops, reports index)
 *   delete <map> <key> ...                     missing keys are not an error
 *   lookup <map> <key>                         -> ok <value> | ok - ; per-CPU maps: values concatenated
 *   keys <map>                                 -> ok <key> <key> ...
 *   swap-policy <outer-key> <max> <k>:<v> ...  build a new inner LPM map, then replace the outer entry
 *   clear-policy <outer-key>                   remove the outer entry
 *   events                                     start streaming ring-buffer records
 *   watch-links <netns> <prefix>[,<prefix>...]  attach both programs to every veth that appears
 *                                              in <netns> from now on whose name starts with a
 *                                              prefix, as soon as the kernel announces it (before
 *                                              any route or address exists): deny until ready
 *
 * After `watch-links`, each such attach is reported unsolicited as `link <ifindex> <ifname> ok`,
 * or `link <ifindex> <ifname> err <errno-name>`; `link <ifindex> <ifname> released` when such a
 * veth is then put under a bridge (not a routed pod veth: its programs are removed again); `link - - overrun` when the kernel dropped
 * notifications (a burst larger than the socket buffer): the helper then lists the namespace's
 * links and closes every watched, unbridged veth it missed that no endpoint entry claims (each
 * reported as `link <ifindex> <ifname> ok`), and releases a closed one put under a bridge meanwhile.
 *
 * NETPOL_LOADER_LINK_RCVBUF (bytes; tests only) shrinks the watch socket's receive buffer, so a
 * test can force an overrun with a burst of veths.
 *
 * <netns> is a name under /var/run/netns, an absolute path, or "-" for the helper's own namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define MAX_HEX_BYTES 4096

static struct bpf_object *obj;
static struct ring_buffer *ringbuf;
static int own_netns = -1;
static int streaming;
/* watch-links: a NETLINK_ROUTE socket bound in the watched namespace (a socket keeps the namespace
 * it was made in), that namespace's name and the link-name prefixes to attach to. */
static int link_sock = -1;
static char link_netns[512];
static char link_prefixes[512];
/* The inner policy template (libbpf frees it once the outer map exists): saved at open. */
static __u32 inner_key_size, inner_value_size, inner_flags;

/* The last lines of the verifier's log when the kernel refused a program: the reply names them. */
static char verifier_tail[1024];

/*
 * libbpf's messages go to stderr as by default (debug aside); a program load log (the verifier's
 * account of why it refused) is also kept, its last three lines, for the `open` reply.
 */
static int on_libbpf_print(enum libbpf_print_level level, const char *format, va_list args)
{
	static char text[1 << 16];
	if (level == LIBBPF_DEBUG)
		return 0;
	int n = vsnprintf(text, sizeof(text), format, args);
	fputs(text, stderr);
	const char *begin = strstr(text, "-- BEGIN PROG LOAD LOG --\n");
	char *end = begin ? strstr(begin, "-- END PROG LOAD LOG --") : NULL;
	if (!begin || !end)
		return n;
	*end = '\0';
	begin += strlen("-- BEGIN PROG LOAD LOG --\n");
	/* Back from the end over three non-empty lines. */
	const char *start = end;
	for (int lines = 0; start > begin && lines < 3;) {
		start--;
		while (start > begin && start[-1] != '\n')
			start--;
		if (*start != '\n')
			lines++;
	}
	size_t used = 0;
	for (const char *p = start; *p && used + 4 < sizeof(verifier_tail); p++) {
		if (*p == '\n') {
			if (p[1] && used) {
				memcpy(verifier_tail + used, " / ", 3);
				used += 3;
			}
		} else {
			verifier_tail[used++] = *p;
		}
	}
	verifier_tail[used] = '\0';
	return n;
}

static void reply_err(const char *id, int err, const char *message)
{
	if (err < 0)
		err = -err;
	printf("%s err %s %s\n", id, strerrorname_np(err) ? strerrorname_np(err) : "EUNKNOWN",
	       message);
	fflush(stdout);
}

static void reply_ok(const char *id, const char *result)
{
	printf("%s ok%s%s\n", id, result ? " " : "", result ? result : "");
	fflush(stdout);
}

static int hex_decode(const char *hex, size_t hex_len, unsigned char *out, size_t max)
{
	if (hex_len % 2 || hex_len / 2 > max)
		return -1;
	for (size_t i = 0; i < hex_len / 2; i++) {
		unsigned int byte;
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return -1;
		out[i] = (unsigned char)byte;
	}
	return (int)(hex_len / 2);
}

static void hex_print(const unsigned char *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02x", bytes[i]);
}

static int map_fd(const char *name, struct bpf_map **out)
{
	struct bpf_map *map = obj ? bpf_object__find_map_by_name(obj, name) : NULL;
	if (out)
		*out = map;
	return map ? bpf_map__fd(map) : -ENOENT;
}

/* Parses "<key>:<value>" with the expected sizes; returns 0 or -EINVAL. */
static int parse_pair(const char *pair, unsigned char *key, size_t key_size, unsigned char *value,
		      size_t value_size)
{
	const char *colon = strchr(pair, ':');
	if (!colon)
		return -EINVAL;
	if (hex_decode(pair, colon - pair, key, MAX_HEX_BYTES) != (int)key_size)
		return -EINVAL;
	if (hex_decode(colon + 1, strlen(colon + 1), value, MAX_HEX_BYTES) != (int)value_size)
		return -EINVAL;
	return 0;
}

/* Set while in another namespace: "-" (the helper runs in the node's namespace, hostNetwork)
 * never calls setns(), so the helper then needs no CAP_SYS_ADMIN. */
static int entered_netns;

static int enter_netns(const char *netns)
{
	char path[512];
	if (strcmp(netns, "-") == 0)
		return 0;
	if (netns[0] == '/')
		snprintf(path, sizeof(path), "%s", netns);
	else
		snprintf(path, sizeof(path), "/var/run/netns/%s", netns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	entered_netns = rc == 0;
	return rc;
}

static void leave_netns(void)
{
	if (!entered_netns)
		return;
	entered_netns = 0;
	if (setns(own_netns, CLONE_NEWNET)) {
		perror("netpol-loader: cannot return to its own network namespace");
		exit(2);
	}
}

/* Sets the `netpol_config` const volatile in .rodata (its offset comes from the BTF DATASEC). */
static int set_config(const char *hex)
{
	unsigned char bytes[256];
	int len = hex_decode(hex, strlen(hex), bytes, sizeof(bytes));
	struct bpf_map *rodata = NULL, *map;
	bpf_object__for_each_map(map, obj) {
		if (strstr(bpf_map__name(map), ".rodata"))
			rodata = map;
	}
	struct btf *btf = bpf_object__btf(obj);
	if (len < 0 || !rodata || !btf)
		return -EINVAL;
	int sec_id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (sec_id < 0)
		return sec_id;
	const struct btf_type *sec = btf__type_by_id(btf, sec_id);
	const struct btf_var_secinfo *vars = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++) {
		const struct btf_type *var = btf__type_by_id(btf, vars[i].type);
		if (strcmp(btf__name_by_offset(btf, var->name_off), "netpol_config"))
			continue;
		if ((__u32)len != vars[i].size)
			return -EMSGSIZE;
		size_t size;
		/* libbpf 1.1 returns const; the buffer is the writable initial image */
		unsigned char *data = (unsigned char *)bpf_map__initial_value(rodata, &size);
		if (!data || vars[i].offset + vars[i].size > size)
			return -EINVAL;
		memcpy(data + vars[i].offset, bytes, len);
		return 0;
	}
	return -ENOENT;
}

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	printf("event ");
	hex_print(data, size);
	printf("\n");
	return 0;
}

/*
 * An upgrade whose object changed the layout of a pinned cache (conntrack, event_ratelimit) would
 * not load: libbpf refuses to adopt a pinned map that differs from the object's. Those two are
 * caches, so the old pin is removed and a new map made: the flows they tracked are judged anew by
 * the rules of the moment (logged). Every other map is state the agent owns and must match.
 */
static void drop_incompatible_caches(const char *pin_dir)
{
	const char *caches[] = { "conntrack", "event_ratelimit" };
	for (unsigned i = 0; i < sizeof(caches) / sizeof(caches[0]); i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, caches[i]);
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", pin_dir, caches[i]);
		int fd = map ? bpf_obj_get(path) : -1;
		if (fd < 0)
			continue;
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
		     info.value_size != bpf_map__value_size(map) ||
		     info.max_entries != bpf_map__max_entries(map) ||
		     info.map_flags != bpf_map__map_flags(map))) {
			fprintf(stderr,
				"netpol-loader: pinned %s has another layout (an upgrade): replaced, its "
				"flows are judged anew\n",
				caches[i]);
			unlink(path);
		}
		close(fd);
	}
}

static void cmd_open(const char *id, char **argv, int argc)
{
	if (obj)
		return reply_err(id, EALREADY, "already open");
	if (argc < 2)
		return reply_err(id, EINVAL, "usage: open <object> <pin-dir> [<config-hex>]");
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = argv[1]);
	obj = bpf_object__open_file(argv[0], &opts);
	int err = libbpf_get_error(obj);
	if (err) {
		obj = NULL;
		return reply_err(id, err, "cannot open the object file");
	}
	struct bpf_map *outer = bpf_object__find_map_by_name(obj, "policy");
	struct bpf_map *inner = outer ? bpf_map__inner_map(outer) : NULL;
	if (!inner) {
		bpf_object__close(obj);
		obj = NULL;
		return reply_err(id, ENOENT, "the object has no policy map-in-map");
	}
	inner_key_size = bpf_map__key_size(inner);
	inner_value_size = bpf_map__value_size(inner);
	inner_flags = bpf_map__map_flags(inner);
	if (argc >= 3 && (err = set_config(argv[2]))) {
		bpf_object__close(obj);
		obj = NULL;
		return reply_err(id, err, "cannot set netpol_config");
	}
	drop_incompatible_caches(argv[1]);
	if ((err = bpf_object__load(obj))) {
		bpf_object__close(obj);
		obj = NULL;
		if (verifier_tail[0]) {
			char message[sizeof(verifier_tail) + 64];
			snprintf(message, sizeof(message), "verifier refused a program: %s", verifier_tail);
			verifier_tail[0] = '\0';
			return reply_err(id, err, message);
		}
		return reply_err(id, err, "cannot load the object (libbpf's reason on stderr)");
	}
	reply_ok(id, NULL);
}

/* Attaches both programs to ifindex in the current namespace; 0 or -errno. */
static int attach_programs(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	/* host veth egress = pod ingress; host veth ingress = pod egress. REPLACE keeps a restarted
	 * helper's attach atomic: the old program runs until the new one takes its slot. */
	const char *progs[2] = { "netpol_pod_ingress", "netpol_pod_egress" };
	enum bpf_tc_attach_point points[2] = { BPF_TC_EGRESS, BPF_TC_INGRESS };
	for (int i = 0; i < 2; i++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, progs[i]);
		LIBBPF_OPTS(bpf_tc_hook, point, .ifindex = ifindex, .attach_point = points[i]);
		LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog ? bpf_program__fd(prog) : -1,
			    .handle = 1, .priority = 1, .flags = BPF_TC_F_REPLACE);
		err = bpf_tc_attach(&point, &opts);
		if (err)
			return err;
	}
	return 0;
}

static void cmd_attach(const char *id, char **argv, int argc, int attach)
{
	if (!obj)
		return reply_err(id, EBADF, "not open");
	if (argc != 2)
		return reply_err(id, EINVAL, "usage: attach|detach <netns> <ifname>");
	int err = enter_netns(argv[0]);
	if (err)
		return reply_err(id, err, "cannot enter the network namespace");
	int ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		err = -errno;
		leave_netns();
		return reply_err(id, err, "no such link in that namespace");
	}
	if (!attach) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
		err = bpf_tc_hook_destroy(&hook);
		leave_netns();
		if (err && err != -ENOENT && err != -EINVAL)
			return reply_err(id, err, "cannot remove clsact");
		return reply_ok(id, NULL);
	}
	err = attach_programs(ifindex);
	leave_netns();
	if (err)
		return reply_err(id, err, "cannot attach the programs to that link");
	char result[16];
	snprintf(result, sizeof(result), "%d", ifindex);
	reply_ok(id, result);
}

static int has_prefix(const char *name)
{
	char list[sizeof(link_prefixes)];
	snprintf(list, sizeof(list), "%s", link_prefixes);
	for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (*p && !strncmp(name, p, strlen(p)))
			return 1;
	return 0;
}

static void cmd_watch_links(const char *id, char **argv, int argc)
{
	if (argc != 2 || strlen(argv[0]) >= sizeof(link_netns) ||
	    strlen(argv[1]) >= sizeof(link_prefixes))
		return reply_err(id, EINVAL, "usage: watch-links <netns> <prefix>[,<prefix>...]");
	if (link_sock >= 0)
		return reply_err(id, EALREADY, "already watching links");
	int err = enter_netns(argv[0]);
	if (err)
		return reply_err(id, err, "cannot enter the network namespace");
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	err = fd < 0 ? -errno : 0;
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	const char *rcvbuf = getenv("NETPOL_LOADER_LINK_RCVBUF");
	int rcvbuf_bytes = rcvbuf ? atoi(rcvbuf) : 0;
	if (!err && rcvbuf_bytes > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof(rcvbuf_bytes)))
		err = -errno;
	if (!err && bind(fd, (struct sockaddr *)&addr, sizeof(addr)))
		err = -errno;
	leave_netns();
	if (err) {
		if (fd >= 0)
			close(fd);
		return reply_err(id, err, "cannot subscribe to link notifications");
	}
	/* Replying after bind(): every link created from now on is announced to this socket. */
	link_sock = fd;
	snprintf(link_netns, sizeof(link_netns), "%s", argv[0]);
	snprintf(link_prefixes, sizeof(link_prefixes), "%s", argv[1]);
	reply_ok(id, NULL);
}

/*
 * The veths the watch closed and nobody has claimed as a routed pod veth yet: one that is then
 * enslaved to a bridge (the bridge CNI, Docker's own containers) is not a routed-veth pod and is
 * released again, so a cluster the agent does not fit is left unenforced, not blackholed. A small
 * ring: the oldest entries are forgotten first (a forgotten veth simply stays closed).
 */
static int closed_links[1024];
static unsigned closed_next;

static int *closed_slot(int ifindex)
{
	for (unsigned i = 0; i < sizeof(closed_links) / sizeof(closed_links[0]); i++)
		if (closed_links[i] == ifindex)
			return &closed_links[i];
	return NULL;
}

static void release_link(int ifindex, const char *name)
{
	int *slot = closed_slot(ifindex);
	if (!slot)
		return;
	*slot = 0;
	int err = enter_netns(link_netns);
	if (!err) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
		err = bpf_tc_hook_destroy(&hook);
		leave_netns();
	}
	if (err < 0)
		err = -err;
	printf("link %d %s %s%s\n", ifindex, name, err ? "err " : "released",
	       err ? (strerrorname_np(err) ? strerrorname_np(err) : "EUNKNOWN") : "");
}

/* What the link watch reads from an RTM_NEWLINK: name, kind (IFLA_INFO_KIND) and master. */
struct link_facts {
	int ifindex;
	const char *name;
	const char *kind;
	int master;
	unsigned change; /* ifi_change: ~0U for a link registered in (or moved into) the namespace */
};

/* Reads an RTM_NEWLINK or RTM_DELLINK; 0, or -1 when it is too short. */
static int link_facts_of(struct nlmsghdr *nh, struct link_facts *link)
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -1;
	*link = (struct link_facts){ .ifindex = ifi->ifi_index, .change = ifi->ifi_change };
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	for (struct rtattr *rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFLA_IFNAME)
			link->name = RTA_DATA(rta);
		else if (rta->rta_type == IFLA_MASTER && RTA_PAYLOAD(rta) >= sizeof(int))
			link->master = *(int *)RTA_DATA(rta);
		else if (rta->rta_type == IFLA_LINKINFO) {
			int inner = RTA_PAYLOAD(rta);
			for (struct rtattr *info = RTA_DATA(rta); RTA_OK(info, inner);
			     info = RTA_NEXT(info, inner))
				if (info->rta_type == IFLA_INFO_KIND)
					link->kind = RTA_DATA(info);
		}
	}
	return 0;
}

static int is_watched_veth(const struct link_facts *link)
{
	return link->name && link->kind && !strcmp(link->kind, "veth") && has_prefix(link->name);
}

/* Closes a watched veth (both programs, no endpoint entry: it drops until its pod is ready) and
 * reports it. */
static void close_link(int ifindex, const char *name)
{
	int err = enter_netns(link_netns);
	if (!err) {
		err = attach_programs(ifindex);
		leave_netns();
	}
	if (err < 0)
		err = -err;
	if (!err) {
		closed_links[closed_next] = ifindex;
		closed_next = (closed_next + 1) % (sizeof(closed_links) / sizeof(closed_links[0]));
	}
	printf("link %d %s %s%s\n", ifindex, name, err ? "err " : "ok",
	       err ? (strerrorname_np(err) ? strerrorname_np(err) : "EUNKNOWN") : "");
}

/* One RTM_NEWLINK: a link registered in (or moved into) the namespace carries ifi_change ~0U and
 * is closed; a later change that puts a closed veth under a master (a bridge) releases it; other
 * changes (up, down, address) are ignored. RTM_DELLINK forgets the link. */
static void on_link(struct nlmsghdr *nh)
{
	struct link_facts link;
	if (link_facts_of(nh, &link))
		return;
	if (nh->nlmsg_type == RTM_DELLINK) {
		int *slot = closed_slot(link.ifindex);
		if (slot)
			*slot = 0;
		return;
	}
	if (!is_watched_veth(&link))
		return;
	if (link.master) {
		release_link(link.ifindex, link.name);
		return;
	}
	if (link.change != ~0U)
		return;
	/* A brand-new link has no endpoint: an entry a removed pod left under a reused ifindex must
	 * not hand the new pod the old one's verdicts (the key is the ifindex, netpol_abi.h). */
	__u32 key = (__u32)link.ifindex;
	bpf_map_delete_elem(map_fd("endpoints", NULL), &key);
	close_link(link.ifindex, link.name);
}

/* A watched veth the re-listing found; names are copied out of the dump's buffer. */
struct listed_link {
	int ifindex;
	int master;
	char name[IF_NAMESIZE];
};

/*
 * After an overrun: the notifications lost may have announced new veths (or a closed one put
 * under a bridge). Lists the watched namespace's links (an RTM_GETLINK dump on a socket of its
 * own) and closes every watched, unbridged veth that is neither closed by the watch already nor
 * claimed by an endpoint entry (a pod the agent has made, or is making, ready: never touched);
 * releases a closed one that now has a master. Endpoint entries are not deleted here: unlike a
 * notification, a listed link may be a live pod's.
 */
static void relist_links(void)
{
	static struct listed_link listed[4096];
	int count = 0, err = enter_netns(link_netns);
	int fd = err ? -1 : socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (!err && fd < 0)
		err = -errno;
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	if (!err && send(fd, &req, sizeof(req), 0) < 0)
		err = -errno;
	char buf[1 << 16] __attribute__((aligned(NLMSG_ALIGNTO)));
	for (int done = 0; !err && !done;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			struct link_facts link;
			if (nh->nlmsg_type != RTM_NEWLINK || link_facts_of(nh, &link) ||
			    !is_watched_veth(&link) ||
			    count == (int)(sizeof(listed) / sizeof(listed[0])))
				continue;
			listed[count].ifindex = link.ifindex;
			listed[count].master = link.master;
			snprintf(listed[count].name, sizeof(listed[count].name), "%s", link.name);
			count++;
		}
	}
	if (fd >= 0)
		close(fd);
	leave_netns();
	if (err) {
		fprintf(stderr, "netpol-loader: cannot list links after an overrun: %s\n",
			strerror(-err));
		return;
	}
	int endpoints = map_fd("endpoints", NULL);
	for (int i = 0; i < count; i++) {
		if (listed[i].master) {
			release_link(listed[i].ifindex, listed[i].name);
			continue;
		}
		__u32 key = (__u32)listed[i].ifindex;
		unsigned char value[64];
		if (closed_slot(listed[i].ifindex) || !bpf_map_lookup_elem(endpoints, &key, value))
			continue;
		close_link(listed[i].ifindex, listed[i].name);
	}
}

static void drain_links(void)
{
	char buf[1 << 16] __attribute__((aligned(NLMSG_ALIGNTO)));
	int overrun = 0;
	for (;;) {
		ssize_t n = recv(link_sock, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == ENOBUFS)
				overrun = 1;
			if (errno == ENOBUFS || errno == EINTR)
				continue;
			break; /* EAGAIN: drained */
		}
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n))
			if (nh->nlmsg_type == RTM_NEWLINK || nh->nlmsg_type == RTM_DELLINK)
				on_link(nh);
	}
	/* Once drained, so a burst is listed once, not once per lost batch. */
	if (overrun) {
		printf("link - - overrun\n");
		relist_links();
	}
	fflush(stdout);
}

static void cmd_update(const char *id, char **argv, int argc)
{
	struct bpf_map *map;
	int fd = map_fd(argc ? argv[0] : "", &map);
	if (fd < 0)
		return reply_err(id, fd, "no such map");
	unsigned char key[MAX_HEX_BYTES], value[MAX_HEX_BYTES];
	for (int i = 1; i < argc; i++) {
		char where[64];
		snprintf(where, sizeof(where), "entry %d", i - 1);
		if (parse_pair(argv[i], key, bpf_map__key_size(map), value,
			       bpf_map__value_size(map)))
			return reply_err(id, EINVAL, where);
		if (bpf_map_update_elem(fd, key, value, BPF_ANY))
			return reply_err(id, errno, where);
	}
	reply_ok(id, NULL);
}

static void cmd_delete(const char *id, char **argv, int argc)
{
	struct bpf_map *map;
	int fd = map_fd(argc ? argv[0] : "", &map);
	if (fd < 0)
		return reply_err(id, fd, "no such map");
	unsigned char key[MAX_HEX_BYTES];
	for (int i = 1; i < argc; i++) {
		if (hex_decode(argv[i], strlen(argv[i]), key, sizeof(key)) !=
		    (int)bpf_map__key_size(map))
			return reply_err(id, EINVAL, "bad key");
		if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
			return reply_err(id, errno, "delete failed");
	}
	reply_ok(id, NULL);
}

static int is_percpu(struct bpf_map *map)
{
	enum bpf_map_type type = bpf_map__type(map);
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static void cmd_lookup(const char *id, char **argv, int argc)
{
	struct bpf_map *map;
	int fd = map_fd(argc ? argv[0] : "", &map);
	if (fd < 0 || argc != 2)
		return reply_err(id, fd < 0 ? fd : EINVAL, "usage: lookup <map> <key>");
	unsigned char key[MAX_HEX_BYTES];
	if (hex_decode(argv[1], strlen(argv[1]), key, sizeof(key)) != (int)bpf_map__key_size(map))
		return reply_err(id, EINVAL, "bad key");
	size_t value_size = bpf_map__value_size(map);
	size_t total = value_size;
	if (is_percpu(map)) {
		value_size = (value_size + 7) & ~7UL;
		total = value_size * libbpf_num_possible_cpus();
	}
	unsigned char *value = calloc(1, total);
	if (!value)
		return reply_err(id, ENOMEM, "out of memory");
	if (bpf_map_lookup_elem(fd, key, value)) {
		int err = errno;
		free(value);
		return err == ENOENT ? reply_ok(id, "-") : reply_err(id, err, "lookup failed");
	}
	printf("%s ok ", id);
	hex_print(value, total);
	printf("\n");
	fflush(stdout);
	free(value);
}

static void cmd_keys(const char *id, char **argv, int argc)
{
	struct bpf_map *map;
	int fd = map_fd(argc ? argv[0] : "", &map);
	if (fd < 0)
		return reply_err(id, fd, "no such map");
	unsigned char key[MAX_HEX_BYTES], next[MAX_HEX_BYTES];
	size_t key_size = bpf_map__key_size(map);
	printf("%s ok", id);
	void *prev = NULL;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		printf(" ");
		hex_print(next, key_size);
		memcpy(key, next, key_size);
		prev = key;
	}
	printf("\n");
	fflush(stdout);
}

/* Atomic rule-set swap: the new inner map is complete before the outer entry points to it. */
static void cmd_swap_policy(const char *id, char **argv, int argc)
{
	struct bpf_map *outer;
	int outer_fd = map_fd("policy", &outer);
	if (outer_fd < 0 || argc < 2)
		return reply_err(id, EINVAL, "usage: swap-policy <outer-key> <max> <k>:<v> ...");
	unsigned char outer_key[64], key[MAX_HEX_BYTES], value[MAX_HEX_BYTES];
	if (hex_decode(argv[0], strlen(argv[0]), outer_key, sizeof(outer_key)) !=
	    (int)bpf_map__key_size(outer))
		return reply_err(id, EINVAL, "bad outer key");
	int max_entries = atoi(argv[1]);
	if (max_entries < argc - 2 || max_entries < 1)
		return reply_err(id, EINVAL, "max must cover the entries");
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = inner_flags);
	int inner_fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "netpol_rules", inner_key_size,
				      inner_value_size, max_entries, &opts);
	if (inner_fd < 0)
		return reply_err(id, errno, "cannot create the inner map");
	for (int i = 2; i < argc; i++) {
		errno = 0;
		if (parse_pair(argv[i], key, inner_key_size, value, inner_value_size) ||
		    bpf_map_update_elem(inner_fd, key, value, BPF_ANY)) {
			int err = errno ? errno : EINVAL;
			close(inner_fd);
			return reply_err(id, err, "bad rule entry");
		}
	}
	int err = bpf_map_update_elem(outer_fd, outer_key, &inner_fd, BPF_ANY) ? errno : 0;
	close(inner_fd); /* the outer map holds the reference now */
	if (err)
		return reply_err(id, err, "cannot replace the outer entry");
	reply_ok(id, NULL);
}

static void cmd_events(const char *id)
{
	if (!obj)
		return reply_err(id, EBADF, "not open");
	if (!ringbuf) {
		ringbuf = ring_buffer__new(map_fd("events", NULL), on_event, NULL, NULL);
		if (!ringbuf)
			return reply_err(id, errno, "cannot open the ring buffer");
	}
	streaming = 1;
	reply_ok(id, NULL);
}

static void dispatch(char *line)
{
	char *argv[70000];
	int argc = 0;
	for (char *save = NULL, *word = strtok_r(line, " \t\r\n", &save); word;
	     word = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == (int)(sizeof(argv) / sizeof(argv[0])))
			break;
		argv[argc++] = word;
	}
	if (argc < 2)
		return;
	const char *id = argv[0], *cmd = argv[1];
	char **args = argv + 2;
	int nargs = argc - 2;
	if (!obj && strcmp(cmd, "open"))
		return reply_err(id, EBADF, "not open");
	if (!strcmp(cmd, "open"))
		cmd_open(id, args, nargs);
	else if (!strcmp(cmd, "attach"))
		cmd_attach(id, args, nargs, 1);
	else if (!strcmp(cmd, "detach"))
		cmd_attach(id, args, nargs, 0);
	else if (!strcmp(cmd, "update"))
		cmd_update(id, args, nargs);
	else if (!strcmp(cmd, "delete"))
		cmd_delete(id, args, nargs);
	else if (!strcmp(cmd, "lookup"))
		cmd_lookup(id, args, nargs);
	else if (!strcmp(cmd, "keys"))
		cmd_keys(id, args, nargs);
	else if (!strcmp(cmd, "swap-policy"))
		cmd_swap_policy(id, args, nargs);
	else if (!strcmp(cmd, "clear-policy"))
		cmd_delete(id, (char *[]){ "policy", args[0] }, nargs ? 2 : 1);
	else if (!strcmp(cmd, "events"))
		cmd_events(id);
	else if (!strcmp(cmd, "watch-links"))
		cmd_watch_links(id, args, nargs);
	else
		reply_err(id, EINVAL, "unknown command");
}

int main(void)
{
	libbpf_set_print(on_libbpf_print);
	own_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (own_netns < 0) {
		perror("netpol-loader: /proc/self/ns/net");
		return 2;
	}
	/* Our own line buffer: stdio buffering would hide queued lines from poll(). */
	size_t cap = 1 << 16, used = 0;
	char *buf = malloc(cap);
	if (!buf)
		return 2;
	for (;;) {
		struct pollfd fds[3] = { { .fd = STDIN_FILENO, .events = POLLIN },
					 { .fd = streaming ? ring_buffer__epoll_fd(ringbuf) : -1,
					   .events = POLLIN },
					 { .fd = link_sock, .events = POLLIN } };
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 2;
		}
		/* Links first: a new veth's attach is the one thing here that races the wire. */
		/* POLLERR alone is an overrun (ENOBUFS): recv() reports and clears it. */
		if (fds[2].revents & (POLLIN | POLLERR))
			drain_links();
		if (fds[1].revents & POLLIN) {
			ring_buffer__consume(ringbuf);
			fflush(stdout);
		}
		if (!(fds[0].revents & (POLLIN | POLLHUP)))
			continue;
		if (used == cap) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger)
				return 2;
			buf = bigger;
			cap *= 2;
		}
		ssize_t n = read(STDIN_FILENO, buf + used, cap - used);
		if (n <= 0)
			break; /* EOF: maps stay pinned, programs stay attached */
		used += n;
		char *start = buf, *newline;
		while ((newline = memchr(start, '\n', used - (start - buf)))) {
			*newline = '\0';
			dispatch(start);
			start = newline + 1;
		}
		used -= start - buf;
		memmove(buf, start, used);
	}
	free(buf);
	ring_buffer__free(ringbuf);
	bpf_object__close(obj);
	return 0;
}

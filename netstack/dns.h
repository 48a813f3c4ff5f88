/* The DNS forwarder of the user-mode network: the container's queries to the virtual name
 * server (10.0.2.3, UDP port 53) are taken out of the frames read from the tap device before
 * libslirp sees them, sent from the monitor (in the host's network namespace) to the host's
 * name servers, and the answers written back to the tap as Ethernet frames. The host's
 * servers come from its resolv.conf, all of them in order (the next one is tried when one does
 * not answer), loopback ones included: a stub resolver at 127.0.0.53 works, because the
 * monitor runs in the host's namespace (the container could not reach it). */
#ifndef RL_NETSTACK_DNS_H
#define RL_NETSTACK_DNS_H

#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "error.h"

struct rl_dns_fwd;

/* Name servers of a resolv.conf file, in order, port 53, the first MAX of them (callers pass 8):
 * as glibc reads it, "nameserver" at the start of a line, blanks, then the address, anything
 * after it ignored; IPv6 may carry a scope ("fe80::1%eth0", "fe80::1%2"). Lines that do not
 * parse are skipped. Missing file or no server: *RET_N = 0, not an error. */
int rl_dns_servers_from_resolv(const char *path, struct sockaddr_storage *ret, size_t max,
                               size_t *ret_n, rl_error_t *err);
/* "ADDR", "ADDR:PORT", "[V6ADDR]:PORT", "[V6ADDR]" or "V6ADDR" (IPv6 scopes allowed) ->
 * address, port 53 unless given. "invalid DNS server 'S': ..." (EINVAL) otherwise. */
int rl_dns_server_parse(const char *s, struct sockaddr_storage *ret, rl_error_t *err);

/* VADDR: the virtual server's address (10.0.2.3, network order). SERVERS (IPv4 and IPv6,
 * copied) are asked in order: each has 1 s to answer before the query goes to the next one; after
 * the last it is dropped. At most 256 queries wait at once (a new one drops the oldest). WRITE
 * sends one Ethernet frame to the container (the tap); the frame lives until it returns. Never
 * NULL; a family whose socket cannot be made leaves its servers out. */
struct rl_dns_fwd *rl_dns_fwd_new(struct in_addr vaddr, const struct sockaddr_storage *servers,
                                  size_t n_servers,
                                  void (*write)(void *data, const uint8_t *frame, size_t len),
                                  void *data);
void rl_dns_fwd_free(struct rl_dns_fwd *f);
/* FRAME read from the tap: true when it was a DNS query to VADDR:53 over IPv4/UDP (IP options
 * allowed, checksums correct, not a fragment, at most 4096 bytes of DNS) and the forwarder took
 * it (the caller drops it; the forwarder may still drop it, as any query may be lost); false
 * otherwise, also for every frame when no server is usable: the caller hands it to libslirp. */
bool rl_dns_fwd_input(struct rl_dns_fwd *f, const uint8_t *frame, size_t len);
/* The forwarder's sockets to poll (POLLIN), up to MAX; *TIMEOUT_MS lowered to its next
 * retry/expiry (never raised). Returns how many were written. */
size_t rl_dns_fwd_pollfds(struct rl_dns_fwd *f, struct pollfd *fds, size_t max, int *timeout_ms);
/* After poll(): read answers, write their frames, retry or expire queries (a query left
 * unanswered by every server gets no answer: the container's resolver times out as it would).
 * An answer counts when its id is pending and it comes from a server the query was sent to (the
 * current one or an earlier, late one); others are dropped. FDS may be the caller's whole array:
 * entries that are not the forwarder's are skipped. Call it also when poll() timed out. */
void rl_dns_fwd_dispatch(struct rl_dns_fwd *f, const struct pollfd *fds, size_t n);

#endif

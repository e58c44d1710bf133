/* peers.h - the FastCGI listener's allow-list of peer addresses (FCGI_ALLOWED_CLIENTS). */
#ifndef FC_PEERS_H
#define FC_PEERS_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define PEERS_MAX 32

struct peer_rule {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int bits; /* prefix length */
};

struct peers {
    struct peer_rule rules[PEERS_MAX];
    int n;
};

/* Parses a list of addresses and networks separated by commas or spaces ("127.0.0.1",
 * "10.0.0.0/8", "::1"). Returns 0, or -1 with a message in err. */
int peers_parse(struct peers *p, const char *list, char *err, size_t errlen);
/* Whether the address is on the list; an IPv4 address mapped into IPv6 counts as IPv4. */
bool peers_allow(const struct peers *p, const struct sockaddr *sa);
/* The address as text, for the log. */
void peers_format(const struct sockaddr *sa, char *buf, size_t len);

#endif

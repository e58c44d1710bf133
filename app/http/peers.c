/* peers.c - the FastCGI listener's allow-list of peer addresses (FCGI_ALLOWED_CLIENTS). */
#include "http/peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_rule(struct peer_rule *r, const char *tok, char *err, size_t errlen)
{
    char host[64];
    const char *slash = strchr(tok, '/');
    size_t hl = slash ? (size_t)(slash - tok) : strlen(tok);
    if (hl == 0 || hl >= sizeof(host))
        goto bad;
    memcpy(host, tok, hl);
    host[hl] = '\0';
    memset(r, 0, sizeof(*r));
    if (inet_pton(AF_INET, host, r->addr) == 1) {
        r->family = AF_INET;
        r->bits = 32;
    } else if (inet_pton(AF_INET6, host, r->addr) == 1) {
        r->family = AF_INET6;
        r->bits = 128;
    } else {
        goto bad;
    }
    if (slash) {
        char *end = NULL;
        long bits = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || bits < 0 || bits > r->bits)
            goto bad;
        r->bits = (int)bits;
    }
    return 0;
bad:
    snprintf(err, errlen, "FCGI_ALLOWED_CLIENTS: '%s' is not an address or address/prefix", tok);
    return -1;
}

int peers_parse(struct peers *p, const char *list, char *err, size_t errlen)
{
    char tok[80];
    p->n = 0;
    for (const char *s = list ? list : ""; *s;) {
        size_t len = strcspn(s, ", \t");
        if (len >= sizeof(tok)) {
            snprintf(err, errlen, "FCGI_ALLOWED_CLIENTS: an entry is too long");
            return -1;
        }
        if (len > 0) {
            if (p->n == PEERS_MAX) {
                snprintf(err, errlen, "FCGI_ALLOWED_CLIENTS: more than %d entries", PEERS_MAX);
                return -1;
            }
            memcpy(tok, s, len);
            tok[len] = '\0';
            if (parse_rule(&p->rules[p->n], tok, err, errlen) < 0)
                return -1;
            p->n++;
        }
        s += len;
        s += strspn(s, ", \t");
    }
    return 0;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

bool peers_allow(const struct peers *p, const struct sockaddr *sa)
{
    int family = sa->sa_family;
    const unsigned char *addr;
    if (family == AF_INET) {
        addr = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    } else if (family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        addr = a6->s6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            family = AF_INET;
            addr += 12;
        }
    } else {
        return false;
    }
    for (int i = 0; i < p->n; i++)
        if (p->rules[i].family == family && prefix_equal(addr, p->rules[i].addr, p->rules[i].bits))
            return true;
    return false;
}

void peers_format(const struct sockaddr *sa, char *buf, size_t len)
{
    const void *addr = NULL;
    if (sa->sa_family == AF_INET)
        addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        addr = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!addr || !inet_ntop(sa->sa_family, addr, buf, (socklen_t)len))
        snprintf(buf, len, "(address family %d)", sa->sa_family);
}

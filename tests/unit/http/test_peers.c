/* test_peers.c - the FastCGI allow-list (http/peers.c): addresses, prefixes, mapped IPv4. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>

#include "http/peers.h"

static struct sockaddr_storage addr(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1)
        v4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1)
        v6->sin6_family = AF_INET6;
    return ss;
}

static bool allows(const char *list, const char *peer)
{
    struct peers p;
    char err[128];
    cr_assert_eq(peers_parse(&p, list, err, sizeof(err)), 0, "%s", err);
    struct sockaddr_storage ss = addr(peer);
    return peers_allow(&p, (struct sockaddr *)&ss);
}

Test(peers, allows_exactly_the_listed_address)
{
    cr_assert(allows("127.0.0.1", "127.0.0.1"));
    cr_assert_not(allows("127.0.0.1", "127.0.0.2"));
    cr_assert_not(allows("", "127.0.0.1"));
}

Test(peers, allows_a_network_by_its_prefix)
{
    cr_assert(allows("10.1.0.0/16, 192.168.0.7", "10.1.200.3"));
    cr_assert_not(allows("10.1.0.0/16, 192.168.0.7", "10.2.0.1"));
    cr_assert(allows("172.30.80.8/29", "172.30.80.15"));
    cr_assert_not(allows("172.30.80.8/29", "172.30.80.16"));
    cr_assert(allows("fd00::/8", "fd12::1"));
}

Test(peers, treats_a_mapped_ipv4_peer_as_ipv4)
{
    cr_assert(allows("127.0.0.1", "::ffff:127.0.0.1"));
    cr_assert_not(allows("::1", "::ffff:127.0.0.1"));
}

Test(peers, refuses_a_malformed_entry)
{
    struct peers p;
    char err[128];
    cr_assert_eq(peers_parse(&p, "127.0.0.1,nginx", err, sizeof(err)), -1);
    cr_assert(strstr(err, "'nginx'"), "%s", err);
    cr_assert_eq(peers_parse(&p, "10.0.0.0/33", err, sizeof(err)), -1);
}

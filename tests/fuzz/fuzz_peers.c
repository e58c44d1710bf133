/* fuzz_peers.c - the FCGI_ALLOWED_CLIENTS setting's parser (addresses and address/prefix rules,
 * IPv4 and IPv6) and the check of a peer against what it parsed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/peers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char *list = malloc(n + 1), err[256];
    memcpy(list, data, n);
    list[n] = '\0';
    struct peers p;
    memset(&p, 0, sizeof(p));
    if (peers_parse(&p, list, err, sizeof(err)) == 0) {
        struct sockaddr_in v4 = {.sin_family = AF_INET};
        struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
        inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
        inet_pton(AF_INET6, "::1", &v6.sin6_addr);
        (void)peers_allow(&p, (const struct sockaddr *)&v4);
        (void)peers_allow(&p, (const struct sockaddr *)&v6);
        inet_pton(AF_INET, "10.1.2.3", &v4.sin_addr);
        inet_pton(AF_INET6, "2001:db8::7", &v6.sin6_addr);
        (void)peers_allow(&p, (const struct sockaddr *)&v4);
        (void)peers_allow(&p, (const struct sockaddr *)&v6);
    }
    free(list);
    return 0;
}

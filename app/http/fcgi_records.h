/* fcgi_records.h - what the worker reads of FastCGI records itself, before libfcgi does. */
#ifndef FC_FCGI_RECORDS_H
#define FC_FCGI_RECORDS_H
#include <stdbool.h>
#include <stddef.h>

/* Whether buf, the first n bytes a connection sent, holds the whole head of a request: its
 * begin record and its parameters up to the empty record that ends them, or a record of
 * another type (libfcgi answers or refuses that by itself). Reads nothing beyond n. */
bool fcgi_head_complete(const unsigned char *buf, size_t n);

#endif

/* fcgi_records.c - the FastCGI records the worker reads itself (see fcgi_records.h). */
#include "http/fcgi_records.h"

bool fcgi_head_complete(const unsigned char *buf, size_t n)
{
    enum { BEGIN_REQUEST = 1, PARAMS = 4, HEADER = 8 };
    /* A record: version, type, request id (2), content length (2), padding length, reserved;
     * then its content and padding. */
    for (size_t off = 0; n >= HEADER && off <= n - HEADER;) {
        int type = buf[off + 1];
        size_t content = (size_t)buf[off + 4] << 8 | buf[off + 5];
        if (type != BEGIN_REQUEST && type != PARAMS)
            return true;
        if (type == PARAMS && content == 0)
            return true;
        off += HEADER + content + buf[off + 6];
    }
    return false;
}

/* pictures.h - product pictures: an upload checked by its content, re-encoded by libvips into
 * the sizes the pages use, and kept as files under $STATE_DIR/pictures for nginx to serve. */
#ifndef FC_PICTURES_H
#define FC_PICTURES_H
#include <stddef.h>

/* What picture_store found wrong with an upload. */
enum picture_problem {
    PICTURE_OK = 0,
    PICTURE_NOT_AN_IMAGE,    /* not PNG, JPEG, WebP or GIF by its content */
    PICTURE_TOO_MANY_PIXELS, /* its header says more than PICTURE_MAX_PIXELS */
    PICTURE_BROKEN,          /* an image that does not decode (cut short, corrupt) */
    PICTURE_STORE_FAILED,    /* the files could not be written */
};

/* Starts libvips in this process (a web worker, after the fork: libvips' threads do not survive
 * one): one thread per operation, no cache, untrusted loaders blocked. 0, or -1 with err. */
int pictures_init(char *err, size_t errlen);

/* Re-encodes an upload into $STATE_DIR/pictures/<stem>-card.jpg (480x360, cropped to fill) and
 * <stem>-large.jpg (within 1200x1200, never enlarged), metadata stripped. Both are written under
 * temporary names and renamed, so nginx serves whole files or none. Nothing is left behind on a
 * problem; why holds the details for the log. */
enum picture_problem picture_store(const void *data, size_t len, const char *stem, char *why,
                                   size_t whylen);

/* Removes a stem's files (a replaced picture, or one whose row was not written). */
void picture_remove(const char *stem);

#endif

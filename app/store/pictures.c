/* pictures.c - product pictures re-encoded with libvips (see pictures.h). */
#include "store/pictures.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include "core/config.h"
#include "core/log.h"

/* The sizes the pages use: product cards (a fixed box, filled) and the product page. */
static const struct {
    const char *name;
    int width, height;
    bool crop;
} sizes[] = {{"card", 480, 360, true}, {"large", 1200, 1200, false}};

/* The loaders an upload may go through: the formats people upload, by well-kept libraries. */
static const char *const loaders[] = {"VipsForeignLoadPngBuffer", "VipsForeignLoadJpegBuffer",
                                      "VipsForeignLoadWebpBuffer", "VipsForeignLoadNsgifBuffer"};

static char dir[4096];

int pictures_init(char *err, size_t errlen)
{
    snprintf(dir, sizeof(dir), "%s/pictures", cfg.state_dir);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "pictures: mkdir %s: %s", dir, strerror(errno));
        return -1;
    }
    if (VIPS_INIT("firstcome")) {
        snprintf(err, errlen, "pictures: libvips: %s", vips_error_buffer());
        vips_error_clear();
        return -1;
    }
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    vips_block_untrusted_set(TRUE);
    return 0;
}

static void path_of(char *out, size_t n, const char *stem, const char *size, bool tmp)
{
    snprintf(out, n, "%s/%s-%s.jpg%s", dir, stem, size, tmp ? ".tmp" : "");
}

static bool allowed_loader(const char *name)
{
    for (size_t i = 0; name && i < sizeof(loaders) / sizeof(loaders[0]); i++)
        if (!strcmp(name, loaders[i]))
            return true;
    return false;
}

static enum picture_problem failed(enum picture_problem p, char *why, size_t whylen,
                                   const char *what)
{
    snprintf(why, whylen, "%s: %s", what, vips_error_buffer());
    vips_error_clear();
    return p;
}

/* Reads only the header: the pixel count is checked before anything is decoded. */
static enum picture_problem check_header(const void *data, size_t len, char *why, size_t whylen)
{
    const char *loader = vips_foreign_find_load_buffer(data, len);
    if (!allowed_loader(loader)) {
        snprintf(why, whylen, "loader %s", loader ? loader : "none");
        vips_error_clear();
        return PICTURE_NOT_AN_IMAGE;
    }
    VipsImage *h = vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_SEQUENTIAL,
                                              "fail_on", VIPS_FAIL_ON_ERROR, NULL);
    if (!h)
        return failed(PICTURE_BROKEN, why, whylen, "header");
    /* One frame: an animation's first is all the thumbnail decodes. */
    long long pixels = (long long)vips_image_get_width(h) * vips_image_get_height(h);
    snprintf(why, whylen, "%dx%d, %d page(s)", vips_image_get_width(h), vips_image_get_height(h),
             vips_image_get_n_pages(h));
    g_object_unref(h);
    return pixels > cfg.picture_max_pixels ? PICTURE_TOO_MANY_PIXELS : PICTURE_OK;
}

/* libvips' buffer loaders take a void * they only read. */
static void *unconst(const void *p)
{
    union {
        const void *c;
        void *m;
    } u = {.c = p};
    return u.m;
}

/* One size: decoded (stopping at a cut-short file), resized, saved as JPEG to a temporary file. */
static enum picture_problem render(const void *data, size_t len, int i, const char *stem, char *why,
                                   size_t whylen)
{
    VipsImage *t = NULL;
    void *out = NULL;
    size_t outlen = 0;
    char tmp[4200];
    if (vips_thumbnail_buffer(
            unconst(data), len, &t, sizes[i].width, "height", sizes[i].height, "crop",
            sizes[i].crop ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE, "size", VIPS_SIZE_DOWN,
            "option_string", "fail_on=truncated", NULL) < 0)
        return failed(PICTURE_BROKEN, why, whylen, sizes[i].name);
    /* Decoding happens here: a broken file fails now, not in the thumbnail call. */
    int rc = vips_jpegsave_buffer(t, &out, &outlen, "Q", 82, "strip", TRUE, NULL);
    g_object_unref(t);
    if (rc < 0)
        return failed(PICTURE_BROKEN, why, whylen, sizes[i].name);
    path_of(tmp, sizeof(tmp), stem, sizes[i].name, true);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(out, 1, outlen, f) == outlen;
    ok = (f && fclose(f) == 0) && ok;
    g_free(out);
    if (!ok) {
        snprintf(why, whylen, "write %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return PICTURE_STORE_FAILED;
    }
    return PICTURE_OK;
}

enum picture_problem picture_store(const void *data, size_t len, const char *stem, char *why,
                                   size_t whylen)
{
    const size_t n = sizeof(sizes) / sizeof(sizes[0]);
    char tmp[4200], final[4200];
    enum picture_problem p = check_header(data, len, why, whylen);
    size_t done = 0;
    while (p == PICTURE_OK && done < n) {
        p = render(data, len, (int)done, stem, why, whylen);
        if (p == PICTURE_OK)
            done++;
    }
    for (size_t i = 0; i < n; i++) {
        path_of(tmp, sizeof(tmp), stem, sizes[i].name, true);
        path_of(final, sizeof(final), stem, sizes[i].name, false);
        if (p == PICTURE_OK && rename(tmp, final) < 0) {
            snprintf(why, whylen, "rename %s: %s", tmp, strerror(errno));
            p = PICTURE_STORE_FAILED;
        }
        if (p != PICTURE_OK)
            unlink(tmp);
    }
    if (p != PICTURE_OK)
        picture_remove(stem);
    return p;
}

void picture_remove(const char *stem)
{
    char path[4200];
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        path_of(path, sizeof(path), stem, sizes[i].name, false);
        if (unlink(path) < 0 && errno != ENOENT)
            log_warn("pictures: unlink %s: %s", path, strerror(errno));
    }
}

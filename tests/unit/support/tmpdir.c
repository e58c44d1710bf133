/* tmpdir.c - a private directory for one test, and its removal with everything in it. */
#include "tmpdir.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

bool tmpdir_make(char *dir, size_t len, const char *what)
{
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof(tmpl), "%s/firstcome-%s-XXXXXX", base && base[0] ? base : "/tmp", what);
    if (!mkdtemp(tmpl))
        return false;
    /* The real path, so that it compares equal to what realpath() gives code under test. */
    char *real = realpath(tmpl, NULL);
    if (!real)
        return false;
    int n = snprintf(dir, len, "%s", real);
    free(real);
    return n > 0 && (size_t)n < len;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void tmpdir_remove(const char *dir)
{
    if (dir && dir[0])
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

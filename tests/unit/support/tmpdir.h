/* tmpdir.h - a private directory for one test, and its removal with everything in it. */
#ifndef FC_TEST_TMPDIR_H
#define FC_TEST_TMPDIR_H
#include <stdbool.h>
#include <stddef.h>

/* Creates $TMPDIR/firstcome-<what>-XXXXXX (0700) and writes its real path into dir. */
bool tmpdir_make(char *dir, size_t len, const char *what);
/* Removes dir and everything below it; a missing dir is not an error. */
void tmpdir_remove(const char *dir);

#endif

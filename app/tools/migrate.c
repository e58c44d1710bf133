/* migrate.c - `firstcome migrate`: applies sql/NNN_*.sql in order, each once, recorded in a table.
 */
#include "tools/tools.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "store/db.h"

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc(1, (size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    fclose(f);
    return s;
}

/* Statements end with ';' at the end of a line; '--' lines are comments. */
static int apply_file(const char *path)
{
    char *text = slurp(path);
    if (!text)
        return -1;
    int rc = 0;
    char *stmt = text;
    for (char *p = text; *p; p++) {
        if (*p == ';' && (p[1] == '\n' || p[1] == '\0')) {
            *p = '\0';
            char *s = stmt;
            /* drop leading comment lines and blanks */
            for (;;) {
                s += strspn(s, " \t\r\n");
                if (strncmp(s, "--", 2) != 0)
                    break;
                s += strcspn(s, "\n");
            }
            if (*s && db_exec(s, "") < 0) {
                log_error("migration %s failed: %s", path, db_error());
                rc = -1;
                break;
            }
            stmt = p + 1;
        }
    }
    free(text);
    return rc;
}

int migrate_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char dir[4096];
    struct arena a;
    if (tool_begin("migrate", &a, TOOL_DB) < 0)
        return 1;
    json_t *row;
    /* Two migrators at once (two stacks starting) must not interleave. */
    if (db_query_row(&row, "SELECT GET_LOCK('firstcome_migrate', 60) AS got", "") != 1 ||
        json_integer_value(json_object_get(row, "got")) != 1) {
        log_error("could not take the migration lock");
        return 1;
    }
    if (db_exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INT NOT NULL PRIMARY KEY,"
                " name VARCHAR(200) NOT NULL, applied_at DATETIME NOT NULL DEFAULT "
                "CURRENT_TIMESTAMP) ENGINE=InnoDB",
                "") < 0) {
        log_error("cannot create schema_migrations: %s", db_error());
        return 1;
    }
    snprintf(dir, sizeof(dir), "%s/sql", cfg.app_root);
    DIR *d = opendir(dir);
    if (!d) {
        log_error("no migrations directory %s", dir);
        return 1;
    }
    char *names[512];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 512) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".sql") == 0 && e->d_name[0] >= '0' &&
            e->d_name[0] <= '9')
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(char *), cmp);
    int applied = 0, rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        long long version = strtoll(names[i], NULL, 10);
        int have = db_query_row(&row, "SELECT version FROM schema_migrations WHERE version = ?",
                                "i", version);
        if (have < 0) {
            rc = 1;
            break;
        }
        if (have == 1)
            continue;
        char path[4400];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        log_info("applying %s", names[i]);
        if (apply_file(path) < 0 ||
            db_exec("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", "is", version,
                    names[i]) < 0) {
            rc = 1;
            break;
        }
        applied++;
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    db_exec("SELECT RELEASE_LOCK('firstcome_migrate')", "");
    if (rc == 0)
        log_info("%d migration(s) applied, schema up to date", applied);
    db_close();
    json_use_arena(NULL);
    arena_free(&a);
    return rc;
}

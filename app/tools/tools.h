/* tools.h - entry points of the `firstcome` subcommands other than web. */
#ifndef FC_TOOLS_H
#define FC_TOOLS_H
#include "core/arena.h"

enum tool_stores { TOOL_DB = 1, TOOL_REDIS = 2 };
/* What every one-shot command does first: names itself in the log, gives jansson an arena
 * (owned by the caller, freed at exit) and connects to the stores it needs. 0, or -1 with the
 * reason logged. */
int tool_begin(const char *role, struct arena *a, int stores);
/* A new random password (16 URL-safe characters) for an account an operator hands out. */
void tool_random_password(char out[static 40]);

int devbroker_main(int argc, char **argv);
int migrate_main(int argc, char **argv);
int seed_demo_main(int argc, char **argv);
int reconcile_main(int argc, char **argv);
int mail_main(int argc, char **argv);
int user_main(int argc, char **argv);
int coupons_main(int argc, char **argv);
int bench_main(int argc, char **argv);
int bench_room_main(int argc, char **argv); /* `bench room`, from bench_main */

#endif

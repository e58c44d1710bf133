/* tools.h - entry points of the `firstcome` subcommands other than web. */
#ifndef FC_TOOLS_H
#define FC_TOOLS_H

int devbroker_main(int argc, char **argv);
int migrate_main(int argc, char **argv);
int seed_demo_main(int argc, char **argv);
int reconcile_main(int argc, char **argv);
int mail_main(int argc, char **argv);
int web_main(int argc, char **argv);
int user_main(int argc, char **argv);
int coupons_main(int argc, char **argv);

#endif

/* test_config.c - settings read from the environment (core/config.c): defaults, the ones derived
 * from STATE_DIR, overrides, and the values config_load refuses with a message naming them. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../support/tmpdir.h"
#include "core/config.h"

#define SECRET "0123456789abcdef0123456789abcdef-unit"

static char state[PATH_MAX]; /* the test's STATE_DIR, as realpath names it */
static char err[512];

/* Each test runs in a process of its own, so config_load's strings live as long as cfg does. */
static void setup(void)
{
    cr_assert(tmpdir_make(state, sizeof(state), "config"));
    clearenv(); /* whatever the shell exported must not reach the settings */
    setenv("STATE_DIR", state, 1);
    err[0] = '\0';
}

static void teardown(void)
{
    tmpdir_remove(state);
}

TestSuite(config, .init = setup, .fini = teardown);

static char *slurp(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static char *in_state(const char *name)
{
    static char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", state, name);
    return path;
}

static void refused(const char *name, const char *value, const char *message)
{
    setenv("JWT_SECRET", SECRET, 1);
    setenv(name, value, 1);
    cr_assert_eq(config_load(err, sizeof(err)), -1, "%s=%s was accepted", name, value);
    cr_assert_str_eq(err, message);
}

Test(config, without_overrides_every_setting_takes_its_default)
{
    cr_assert_eq(config_load(err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(cfg.state_dir, state);
    cr_assert_eq(cfg.http_port, 8080);
    cr_assert_eq(cfg.web_workers, 4);
    cr_assert_eq(cfg.fcgi_read_timeout, 5);
    cr_assert_eq(cfg.mysql_port, 3306);
    cr_assert_str_eq(cfg.mysql_user, "firstcome");
    cr_assert_str_eq(cfg.mysql_database, "firstcome");
    cr_assert_str_eq(cfg.coupon_issue_mode, "sync");
    cr_assert_eq(cfg.coupon_quantity_cap, 100);
    cr_assert_eq(cfg.reservation_ttl, 600);
    cr_assert_eq(cfg.access_token_ttl, 900);
    cr_assert_eq(cfg.rate_limits, 1);
    cr_assert_eq(cfg.max_body, 1048576L);
    cr_assert_eq(cfg.payment_failure_rate, 0.0);
    cr_assert_str_eq(cfg.fcgi_allowed_clients, "127.0.0.1,::1");
    cr_assert_str_eq(cfg.log_level, "info");
}

Test(config, paths_and_urls_default_to_places_in_the_state_dir)
{
    cr_assert_eq(config_load(err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(cfg.fcgi_listen, in_state("web.sock"));
    cr_assert_str_eq(cfg.mysql_socket, in_state("mysql.sock"));
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want), "unix://%s/redis.sock", state);
    cr_assert_str_eq(cfg.redis_url, want);
    snprintf(want, sizeof(want), "maildir:%s/mail", state);
    cr_assert_str_eq(cfg.mail_url, want);
    cr_assert_str_eq(cfg.base_url, "http://127.0.0.1:8080");
}

Test(config, a_derived_default_follows_the_setting_it_is_derived_from)
{
    setenv("HTTP_PORT", "9090", 1);
    setenv("MYSQL_HOST", "db.internal", 1);
    cr_assert_eq(config_load(err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(cfg.base_url, "http://127.0.0.1:9090");
    cr_assert_str_eq(cfg.mysql_socket, "", "a TCP MySQL needs no socket");
}

/* How many processes `firstcome workers` starts for each consumer group. */
static void group_processes_are(int coupon, int order, int shipment, int notify)
{
    cr_assert_eq(config_load(err, sizeof(err)), 0, "%s", err);
    int got[] = {cfg.coupon_workers, cfg.order_workers, cfg.shipment_workers, cfg.notify_workers};
    int want[] = {coupon, order, shipment, notify};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(got[i], want[i], "group %d: %d processes, not %d", i, got[i], want[i]);
}

Test(config, every_consumer_group_runs_one_process_by_default)
{
    group_processes_are(1, 1, 1, 1);
    cr_assert_eq(cfg.worker_processes, 1);
}

Test(config, worker_processes_sets_every_group_that_is_not_set_apart)
{
    setenv("WORKER_PROCESSES", "3", 1);
    setenv("NOTIFY_WORKERS", "1", 1);
    group_processes_are(3, 3, 3, 1);
}

Test(config, valid_overrides_are_taken_as_given)
{
    setenv("WEB_WORKERS", "8", 1);
    setenv("RATE_LIMITS", "off", 1);
    setenv("PAYMENT_FAILURE_RATE", "0.25", 1);
    setenv("MAX_BODY", "2048", 1);
    setenv("COUPON_ISSUE_MODE", "kafka", 1);
    setenv("MAIL_FROM", "shop <shop@example.com>", 1);
    setenv("JWT_SECRET", SECRET, 1);
    cr_assert_eq(config_load(err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cfg.web_workers, 8);
    cr_assert_eq(cfg.rate_limits, 0);
    cr_assert_eq(cfg.payment_failure_rate, 0.25);
    cr_assert_eq(cfg.max_body, 2048L);
    cr_assert_str_eq(cfg.coupon_issue_mode, "kafka");
    cr_assert_str_eq(cfg.mail_from, "shop <shop@example.com>");
    cr_assert_str_eq(cfg.jwt_secret, SECRET);
}

Test(config, an_empty_variable_counts_as_unset)
{
    setenv("HTTP_PORT", "", 1);
    cr_assert_eq(config_load(err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cfg.http_port, 8080);
}

Test(config, an_integer_at_either_bound_is_accepted)
{
    setenv("HTTP_PORT", "65535", 1);
    setenv("WEB_WORKERS", "1", 1);
    cr_assert_eq(config_load(err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cfg.http_port, 65535);
    cr_assert_eq(cfg.web_workers, 1);
}

Test(config, an_integer_out_of_range_is_refused_naming_the_setting)
{
    refused("HTTP_PORT", "70000", "HTTP_PORT=70000: expected a whole number from 1 to 65535");
}

Test(config, an_integer_below_its_lower_bound_is_refused)
{
    refused("WEB_WORKERS", "0", "WEB_WORKERS=0: expected a whole number from 1 to 256");
}

Test(config, an_integer_with_trailing_text_is_refused)
{
    refused("RESERVATION_TTL", "10m",
            "RESERVATION_TTL=10m: expected a whole number from 1 to 86400");
}

Test(config, a_fraction_out_of_range_is_refused)
{
    refused("PAYMENT_FAILURE_RATE", "1.5",
            "PAYMENT_FAILURE_RATE=1.5: expected a number from 0 to 1");
}

Test(config, a_boolean_other_than_on_or_off_is_refused)
{
    refused("RATE_LIMITS", "maybe", "RATE_LIMITS=maybe: expected on or off");
}

struct spelling {
    char value[8]; /* inline: a parameter is copied to the test's process, pointers are not */
    int on;
};

ParameterizedTestParameters(config, a_boolean_may_be_spelled_1_true_0_or_false)
{
    static struct spelling spellings[] = {{"1", 1}, {"true", 1}, {"0", 0}, {"false", 0}};
    return cr_make_param_array(struct spelling, spellings, 4);
}

ParameterizedTest(struct spelling *s, config, a_boolean_may_be_spelled_1_true_0_or_false)
{
    setenv("RATE_LIMITS", s->value, 1);
    cr_assert_eq(config_load(err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cfg.rate_limits, s->on, "RATE_LIMITS=%s", s->value);
}

Test(config, an_issue_mode_other_than_sync_or_kafka_is_refused)
{
    refused("COUPON_ISSUE_MODE", "batch", "COUPON_ISSUE_MODE=batch: expected sync or kafka");
}

Test(config, a_jwt_secret_shorter_than_32_bytes_is_refused)
{
    setenv("JWT_SECRET", "short-secret", 1);
    cr_assert_eq(config_load(err, sizeof(err)), -1);
    cr_assert_str_eq(err,
                     "JWT_SECRET must be at least 32 bytes (it has 12); e.g. openssl rand -hex 32");
}

Test(config, an_unset_jwt_secret_is_generated_into_the_state_dir_readable_by_its_owner_only)
{
    cr_assert_eq(config_load(err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(strlen(cfg.jwt_secret), 64);
    cr_assert_eq(strspn(cfg.jwt_secret, "0123456789abcdef"), 64);
    cr_assert_str_eq(slurp(in_state("secrets/jwt_secret")), cfg.jwt_secret);
    struct stat st;
    cr_assert_eq(stat(in_state("secrets/jwt_secret"), &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_neq(strcmp(cfg.mysql_password, cfg.jwt_secret), 0, "each secret is its own");
}

Test(config, a_secret_already_in_the_state_dir_is_kept)
{
    mkdir(in_state("secrets"), 0700);
    FILE *f = fopen(in_state("secrets/mysql_password"), "w");
    cr_assert_not_null(f);
    fputs("kept-password\n", f);
    fclose(f);
    cr_assert_eq(config_load(err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(cfg.mysql_password, "kept-password");
}

Test(config, a_relative_state_dir_is_created_and_made_absolute)
{
    cr_assert_eq(chdir(state), 0);
    setenv("STATE_DIR", "./run", 1);
    cr_assert_eq(config_load(err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(cfg.state_dir, in_state("run"));
    struct stat st;
    cr_assert_eq(stat(cfg.state_dir, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
}

Test(config, the_env_file_holds_every_setting_quoted_for_a_shell_and_is_private)
{
    setenv("MAIL_FROM", "Ann's shop <a@example.com>", 1);
    setenv("JWT_SECRET", SECRET, 1);
    cr_assert_eq(config_load(err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(config_write_env(in_state("env"), err, sizeof(err)), 0, "%s", err);
    const char *env = slurp(in_state("env"));
    cr_assert_not_null(strstr(env, "HTTP_PORT='8080'\n"));
    cr_assert_not_null(strstr(env, "RATE_LIMITS='on'\n"));
    cr_assert_not_null(strstr(env, "MAIL_FROM='Ann'\\''s shop <a@example.com>'\n"));
    cr_assert_not_null(strstr(env, "JWT_SECRET='" SECRET "'\n"));
    struct stat st;
    cr_assert_eq(stat(in_state("env"), &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(access(in_state("env.tmp"), F_OK), -1, "the temporary file is renamed");
}

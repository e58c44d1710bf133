/* config.h - every setting, read once from the environment with defaults derived from STATE_DIR. */
#ifndef FC_CONFIG_H
#define FC_CONFIG_H
#include <stddef.h>

/* All strings are owned by the process (allocated once in config_load, never freed). */
struct config {
    const char *state_dir; /* absolute */
    const char *app_root;  /* where templates/, static/, sql/, app/lua/ live */
    int http_port;
    const char *base_url;
    const char *fcgi_listen; /* unix socket path, or ":port" / "host:port" */
    const char *fcgi_allowed_clients;
    int fcgi_read_timeout;
    int web_workers;
    const char *mysql_socket, *mysql_host;
    int mysql_port;
    const char *mysql_user, *mysql_password, *mysql_database;
    const char *redis_url;
    const char *kafka_brokers; /* resolved: the devbroker's address when KAFKA_BROKERS is empty */
    int kafka_message_timeout; /* seconds before an unacknowledged message is reported failed */
    int kafka_broker_count;    /* brokers the devbroker runs */
    const char *mail_url, *mail_from;
    const char *jwt_secret;
    const char *coupon_issue_mode;
    int coupon_quantity_cap;
    int reservation_ttl, ship_after, deliver_after, return_window;
    double payment_failure_rate;
    int rate_limits; /* RATE_LIMITS=on|off */
    int login_limit_per_client, claim_limit_per_user, claim_limit_per_client;
    int signup_limit_per_client, reset_limit_per_client;
    int refresh_grace;    /* seconds a just-rotated refresh token still yields a pair */
    int access_token_ttl; /* seconds an access token is valid */
    const char *api_rate;
    const char *ops_allow; /* read by stack.sh for nginx; recorded here for `firstcome config` */
    int password_hash_ops, password_hash_mem_kb;
    long max_body;
    int picture_max_bytes, picture_max_pixels;
    int live_stream_seconds; /* how long one live-view stream lasts before the page reconnects */
    int worker_processes;    /* the default of each consumer group's count below */
    int coupon_workers, order_workers, shipment_workers, notify_workers;
    const char *log_level;
};

extern struct config cfg;

/* Reads the environment. Returns 0, or -1 with a message in err. */
int config_load(char *err, size_t errlen);
/* Sets one setting from its text as config_load reads it from the environment (a number within
 * the setting's bounds, on or off, ...), without the defaults and checks across settings. 0, or
 * -1 with a message in err and the setting unchanged. */
int config_set(const char *name, const char *value, char *err, size_t errlen);
/* Writes "KEY=value" lines of every resolved setting (secrets included: the file is 0600). */
int config_write_env(const char *path, char *err, size_t errlen);
/* Prints the settings table (name, value, meaning) without secrets, for `firstcome config`. */
void config_print(void);

#endif

"""The production deployment files: docker-compose.yaml, its Redis Cluster overlay
docker-compose.cluster.yaml, Dockerfile, .dockerignore and the nginx entrypoint that renders
nginx/nginx.conf.tpl for the compose stack.

There is no Docker engine here, so the compose files are checked through `docker-compose config`
(Debian's docker-compose 1.29: it parses, merges, validates and interpolates the files exactly as
`up` would), the Dockerfile against the real binary and Debian's package metadata, and the nginx
entrypoint by running it and then `nginx -t` on what it rendered.

Needs: docker-compose, nginx (nginx-light), binutils (readelf), python3-pytest and python3-yaml.
"""

import ipaddress
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yaml"
COMPOSE_CLUSTER = REPO / "docker-compose.cluster.yaml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
ENTRYPOINT = REPO / "docker" / "nginx-entrypoint.sh"
TEMPLATE = REPO / "nginx" / "nginx.conf.tpl"
KAFKA_H = REPO / "app" / "store" / "kafka.h"
BINARY = REPO / "bin" / "firstcome"
NGINX = "/usr/sbin/nginx"

SECRET = "compose-test-secret-5f1c0a9e4b7d2c81"
KAFKAS = ("kafka-1", "kafka-2", "kafka-3")
SERVICES = {"mysql", "redis", *KAFKAS, "kafka-init", "migrate", "web", "workers", "nginx",
            "prometheus"}
APP_SERVICES = ("migrate", "web", "workers")
STATE_DIR = "/var/lib/firstcome"
TOKEN_RE = re.compile(r"@@([A-Za-z0-9_]+)@@")


# ---- helpers -------------------------------------------------------------------------------

def clean_env(**extra):
    """A minimal environment: none of the caller's compose or app variables leak in."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    env.update(extra)
    return env


def run_compose_config(tmp_dir, files=(COMPOSE,), **env):
    # An empty --env-file, so that a developer's .env beside the compose file changes nothing.
    env_file = Path(tmp_dir) / "empty.env"
    env_file.write_text("")
    f_args = [a for f in files for a in ("-f", str(f))]
    return subprocess.run(
        ["docker-compose", "--env-file", str(env_file), *f_args, "config"],
        cwd=REPO, env=clean_env(**env), capture_output=True, text=True, timeout=120)


def load_config(tmp_dir, files=(COMPOSE,), **env):
    r = run_compose_config(tmp_dir, files, **env)
    assert r.returncode == 0, f"docker-compose config failed:\n{r.stderr}"
    return yaml.safe_load(r.stdout)


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    return load_config(tmp_path_factory.mktemp("compose"), JWT_SECRET=SECRET)


def env_of(service):
    env = service.get("environment", {})
    if isinstance(env, list):  # KEY=value form
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def volume_targets(service):
    """target path -> (source, mode) for the service's volumes, short or long syntax."""
    out = {}
    for v in service.get("volumes", []):
        if isinstance(v, dict):
            out[v["target"]] = (v.get("source"), "ro" if v.get("read_only") else "rw")
        else:
            parts = v.split(":")
            out[parts[1]] = (parts[0], parts[2] if len(parts) > 2 else "rw")
    return out


def published_ports(service):
    """[(published, target)] for short ("8080:80") or long syntax."""
    out = []
    for p in service.get("ports", []):
        if isinstance(p, dict):
            out.append((str(p.get("published")), str(p["target"])))
        else:
            host, _, target = str(p).rpartition(":")
            out.append((host.split(":")[-1], target.split("/")[0]))
    return out


def template_tokens():
    """Tokens used by the template outside whole-line comments."""
    tokens = set()
    for line in TEMPLATE.read_text().splitlines():
        if not line.lstrip().startswith("#"):
            tokens.update(TOKEN_RE.findall(line))
    return tokens


def dockerfile_stages():
    """[(from_line, [instructions])], continuation lines joined, comments dropped."""
    logical, cur = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not cur and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        logical.append((cur + line).strip())
        cur = ""
    stages = []
    for ins in logical:
        if ins.upper().startswith("FROM "):
            stages.append((ins, []))
        else:
            assert stages, f"instruction before FROM: {ins}"
            stages[-1][1].append(ins)
    return stages


def apt_installed(instructions):
    pkgs = []
    for ins in instructions:
        if not ins.upper().startswith("RUN "):
            continue
        for m in re.finditer(r"apt-get install ([^;&|]*)", ins):
            pkgs += [w for w in m.group(1).split() if not w.startswith("-")]
    return pkgs


def render(tmp_path, template=TEMPLATE, command=("true",), **tokens):
    """Runs the entrypoint (it renders, prepares directories, then execs COMMAND)."""
    env = clean_env(NGINX_TEMPLATE=str(template), STATE_DIR=str(tmp_path / "state"),
                    NGINX_CONF=str(tmp_path / "state" / "nginx.conf"))
    env.update(tokens)
    return subprocess.run(["/bin/sh", str(ENTRYPOINT), *command], env=env,
                          capture_output=True, text=True, timeout=60)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- docker-compose.yaml -------------------------------------------------------------------

def test_compose_config_is_valid_and_has_every_service(config):
    assert set(config["services"]) == SERVICES
    assert set(config["volumes"]) >= {"mysqldata", "redisdata", "appstate",
                                      "kafkadata-1", "kafkadata-2", "kafkadata-3"}


def test_prometheus_service_loads_the_repository_s_rules_and_scrapes_nginx(config, tmp_path):
    prom = config["services"]["prometheus"]
    vols = volume_targets(prom)
    assert Path(vols["/etc/prometheus/rules/firstcome.yml"][0]) == REPO / "docs" / "prometheus" / "rules.yml"
    conf = Path(vols["/etc/prometheus/prometheus.yml"][0])
    assert conf == REPO / "docker" / "prometheus.yml"
    text = conf.read_text()
    assert "/etc/prometheus/rules/firstcome.yml" in text and "nginx:80" in text
    # promtool reads the rules from where the container mounts them: the same file here.
    local = tmp_path / "prometheus.yml"
    local.write_text(text.replace("/etc/prometheus/rules/firstcome.yml",
                                  str(REPO / "docs" / "prometheus" / "rules.yml")))
    out = subprocess.run(["promtool", "check", "config", str(local)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert ("9090", "9090") in published_ports(prom)


def test_compose_requires_jwt_secret(tmp_path):
    for env in ({}, {"JWT_SECRET": ""}):
        r = run_compose_config(tmp_path, **env)
        assert r.returncode != 0, f"config accepted without JWT_SECRET ({env}):\n{r.stdout}"
        assert "JWT_SECRET" in r.stderr


def test_app_services_share_one_image_and_environment(config):
    svcs = config["services"]
    envs = [env_of(svcs[name]) for name in APP_SERVICES]
    assert envs[0] == envs[1] == envs[2], "migrate, web and workers must see the same settings"
    images = {svcs[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    for name in APP_SERVICES:
        build = svcs[name]["build"]
        assert Path(build["context"]) == REPO
        assert build.get("dockerfile", "Dockerfile") == "Dockerfile"
        assert volume_targets(svcs[name])[STATE_DIR][0] == "appstate"


def test_web_environment_points_at_the_compose_services(config):
    web = config["services"]["web"]
    env = env_of(web)
    assert env["KAFKA_BROKERS"] == "kafka-1:9092,kafka-2:9092,kafka-3:9092"
    assert env["REDIS_URL"] == "redis://redis:6379"
    assert env["MYSQL_HOST"] == "mysql"
    assert env["MYSQL_PORT"] == "3306"
    assert env["MYSQL_SOCKET"] == ""
    assert env["MYSQL_USER"] == "firstcome"
    assert env["MYSQL_DATABASE"] == "firstcome"
    assert env["MYSQL_PASSWORD"] == "firstcome"
    assert env["JWT_SECRET"] == SECRET
    assert env["STATE_DIR"] == STATE_DIR
    assert env["MAIL_URL"] == f"maildir:{STATE_DIR}/mail"
    assert env["FCGI_LISTEN"] == "0.0.0.0:9000"
    assert int(env["WEB_WORKERS"]) >= 1
    assert env["BASE_URL"].startswith("http")
    assert web["command"] == ["firstcome", "web"]
    assert "9000" in [str(p) for p in web.get("expose", [])]
    assert config["services"]["workers"]["command"] == ["firstcome", "workers"]


def test_every_app_setting_passed_by_compose_exists_in_config_c(config):
    known = set(re.findall(r'\{"([A-Z_]+)", K_', (REPO / "app/core/config.c").read_text()))
    unknown = set(env_of(config["services"]["web"])) - known
    assert not unknown, f"compose sets variables the app does not read: {sorted(unknown)}"


def test_overrides_reach_both_sides(tmp_path):
    cfg = load_config(tmp_path, JWT_SECRET=SECRET, HTTP_PORT="18081", MYSQL_PASSWORD="s3cret",
                      MYSQL_ROOT_PASSWORD="r00t", NGINX_API_LIMIT="")
    svcs = cfg["services"]
    assert ("18081", "80") in published_ports(svcs["nginx"])
    assert env_of(svcs["mysql"])["MYSQL_PASSWORD"] == "s3cret"
    assert env_of(svcs["mysql"])["MYSQL_ROOT_PASSWORD"] == "r00t"
    for name in APP_SERVICES:
        assert env_of(svcs[name])["MYSQL_PASSWORD"] == "s3cret"
    assert env_of(svcs["nginx"])["API_LIMIT"] == ""


def test_start_order(config):
    svcs = config["services"]

    def deps(name):
        d = svcs[name].get("depends_on", {})
        return {k: "service_started" for k in d} if isinstance(d, list) else \
            {k: v["condition"] for k, v in d.items()}

    assert deps("migrate") == {"mysql": "service_healthy", "redis": "service_healthy"}
    assert deps("kafka-init") == {k: "service_healthy" for k in KAFKAS}
    for name in ("web", "workers"):
        assert deps(name) == {"migrate": "service_completed_successfully",
                              "kafka-init": "service_completed_successfully"}
    assert "web" in deps("nginx")
    for name in ("migrate", "kafka-init"):
        assert svcs[name]["restart"] == "no"
    for name in ("mysql", "redis", *KAFKAS, "web", "workers", "nginx"):
        assert svcs[name]["restart"] in ("always", "unless-stopped")
    cmd = " ".join(svcs["migrate"]["command"])
    assert re.search(r"firstcome migrate && firstcome seed-demo && firstcome reconcile", cmd)


def test_mysql(config):
    mysql = config["services"]["mysql"]
    assert mysql["image"] == "mysql:8.0"
    env = env_of(mysql)
    assert env["MYSQL_DATABASE"] == "firstcome"
    assert env["MYSQL_USER"] == "firstcome"
    assert env["MYSQL_PASSWORD"] == "firstcome"
    assert env["MYSQL_ROOT_PASSWORD"]
    assert "mysqladmin ping" in " ".join(mysql["healthcheck"]["test"])
    assert volume_targets(mysql)["/var/lib/mysql"][0] == "mysqldata"


def test_redis_runs_with_appendonly(config):
    redis = config["services"]["redis"]
    assert redis["image"] == "redis:7"
    cmd = redis["command"]
    assert cmd[0] == "redis-server"
    assert cmd[cmd.index("--appendonly") + 1] == "yes"
    assert "redis-cli ping" in " ".join(redis["healthcheck"]["test"])
    assert volume_targets(redis)["/data"][0] == "redisdata"


def test_kafka_is_a_three_broker_kraft_cluster_that_replicates_everything(config):
    envs = {name: env_of(config["services"][name]) for name in KAFKAS}
    voters = {f"{envs[n]['KAFKA_NODE_ID']}@{n}:9093" for n in KAFKAS}
    assert len(voters) == 3, "three node ids"
    volumes = set()
    for name, env in envs.items():
        kafka = config["services"][name]
        assert kafka["image"] == "apache/kafka:3.7.0"
        assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
        assert "KAFKA_ZOOKEEPER_CONNECT" not in env
        listeners = env["KAFKA_LISTENERS"].split(",")
        assert "PLAINTEXT://:9092" in listeners and "CONTROLLER://:9093" in listeners
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
        assert set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == voters
        # Every write on three brokers, acknowledged once two hold it: one may be lost.
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"])  # base64 UUID
        # The image's default log dir is under /tmp; data must be on the node's named volume.
        volumes.add(volume_targets(kafka)[env["KAFKA_LOG_DIRS"]][0])
        assert "--bootstrap-server" in " ".join(kafka["healthcheck"]["test"])
    assert volumes == {"kafkadata-1", "kafkadata-2", "kafkadata-3"}
    assert len({env["CLUSTER_ID"] for env in envs.values()}) == 1
    # The apps reach every advertised listener.
    assert env_of(config["services"]["web"])["KAFKA_BROKERS"].split(",") == \
        [f"{n}:9092" for n in KAFKAS]


def test_kafka_init_creates_the_apps_topics(config):
    init = config["services"]["kafka-init"]
    assert init["image"] == config["services"]["kafka-1"]["image"]
    app_topics = set(re.findall(r'#define TOPIC_\w+ "([^"]+)"', KAFKA_H.read_text()))
    assert app_topics, "no TOPIC_ defines found in app/store/kafka.h"
    env = env_of(init)
    partitions = dict(t.split(":") for t in env["TOPICS"].split())
    assert set(partitions) == app_topics
    # as the devbroker makes them (kafka_topic_partitions): one for the one coupon worker
    assert partitions == {t: "1" if t == "coupon.claimed" else "4" for t in app_topics}
    script = " ".join(init["command"])
    assert "/opt/kafka/bin/kafka-topics.sh" in script
    assert "--create --if-not-exists" in script
    assert '--bootstrap-server "$$BOOTSTRAP"' in script  # $$: compose's escape of $
    assert env["BOOTSTRAP"] == env_of(config["services"]["web"])["KAFKA_BROKERS"]
    assert "--replication-factor 3" in script and "--config min.insync.replicas=2" in script


def test_nginx_service(config):
    nginx = config["services"]["nginx"]
    assert nginx["image"] == "nginx:1.25"
    assert ("8080", "80") in published_ports(nginx)
    env = env_of(nginx)
    # UPSTREAM_SERVERS is the entrypoint's, from FCGI_PASS.
    missing = template_tokens() - set(env) - {"UPSTREAM_SERVERS"}
    assert not missing, f"nginx service does not set template tokens: {sorted(missing)}"
    assert env["FCGI_PASS"] == "web:9000"
    assert env["FCGI_PASS"].split(":")[1] == env_of(config["services"]["web"])["FCGI_LISTEN"].split(":")[1]
    assert env["LISTEN"] == "80"
    assert env["DAEMON"] == "off"
    assert env["API_LIMIT"] == "limit_req zone=api burst=100 nodelay;"
    vols = volume_targets(nginx)
    entry = nginx["entrypoint"]
    assert entry[-1] in vols, "the entrypoint script must be mounted"
    # Every mount is read-only: the files the compose file means from the repository, and the
    # state volume the web containers write the product pictures into.
    assert Path(vols[entry[-1]][0]) == ENTRYPOINT
    assert Path(vols[env["NGINX_TEMPLATE"]][0]) == TEMPLATE
    assert Path(vols[env["STATIC_ROOT"]][0]) == REPO / "static"
    state = env_of(config["services"]["web"])["STATE_DIR"]
    assert vols["/srv/firstcome/state"][0] == "appstate" in config["volumes"]
    assert env["PICTURES_DIR"] == "/srv/firstcome/state/pictures"
    assert volume_targets(config["services"]["web"])[state][0] == "appstate"
    for target, (source, mode) in vols.items():
        assert mode == "ro", f"{target} must be mounted read-only"
        assert source in config["volumes"] or Path(source).exists(), source
    assert "/livez" in " ".join(nginx["healthcheck"]["test"])


# ---- docker-compose.cluster.yaml (over docker-compose.yaml) --------------------------------

REDIS_NODES = ("redis", "redis-2", "redis-3", "redis-4", "redis-5", "redis-6")
REDIS_NET = "redis-cluster"


@pytest.fixture(scope="module")
def cluster_config(tmp_path_factory):
    return load_config(tmp_path_factory.mktemp("compose-cluster"), (COMPOSE, COMPOSE_CLUSTER),
                       JWT_SECRET=SECRET)


def depends_on(service):
    d = service.get("depends_on", {})
    return {k: "service_started" for k in d} if isinstance(d, list) else \
        {k: v["condition"] for k, v in d.items()}


def option(cmd, name):
    assert name in cmd, f"{name} missing from {cmd}"
    return cmd[cmd.index(name) + 1]


def test_cluster_overlay_adds_five_nodes_and_the_init_job(cluster_config):
    assert set(cluster_config["services"]) == SERVICES | set(REDIS_NODES) | {"redis-cluster-init"}


def test_cluster_nodes_are_cluster_enabled_at_fixed_addresses(cluster_config):
    svcs = cluster_config["services"]
    net = cluster_config["networks"][REDIS_NET]["ipam"]["config"][0]
    subnet, dynamic = ipaddress.ip_network(net["subnet"]), ipaddress.ip_network(net["ip_range"])
    addresses, volumes = set(), set()
    for name in REDIS_NODES:
        node = svcs[name]
        assert node["image"] == "redis:7"
        cmd = node["command"]
        assert cmd[0] == "redis-server"
        assert option(cmd, "--cluster-enabled") == "yes"
        assert option(cmd, "--cluster-config-file") == "nodes.conf"
        assert int(option(cmd, "--cluster-node-timeout")) > 0
        assert option(cmd, "--appendonly") == "yes"
        assert "--port" not in cmd  # 6379, as REDIS_URL and the init job name it
        # The address a node announces is the one it has, fixed, on the cluster's network: inside
        # the subnet, outside the range Docker gives other containers theirs from.
        ip = ipaddress.ip_address(option(cmd, "--cluster-announce-ip"))
        assert node["networks"][REDIS_NET]["ipv4_address"] == str(ip)
        assert ip in subnet and ip not in dynamic
        addresses.add(ip)
        assert "redis-cli ping" in " ".join(node["healthcheck"]["test"])
        assert node["restart"] == "unless-stopped"
        # nodes.conf and the AOF live in the working directory, /data, on a volume of the node's
        # own: not the single Redis's, whose keys would keep the node out of a new cluster.
        source = volume_targets(node)["/data"][0]
        assert source in cluster_config["volumes"] and source != "redisdata"
        volumes.add(source)
    assert len(addresses) == len(volumes) == len(REDIS_NODES)


def test_cluster_init_makes_three_masters_with_a_replica_each(cluster_config):
    svcs = cluster_config["services"]
    init = svcs["redis-cluster-init"]
    assert init["image"] == "redis:7"
    assert init["restart"] == "no"
    assert depends_on(init) == {n: "service_healthy" for n in REDIS_NODES}
    assert REDIS_NET in init["networks"]
    script = init["command"][-1]
    assert "redis-cli --cluster create $$NODES --cluster-replicas 1 --cluster-yes" in script
    # Made once: node 1 is asked before; then every node must report cluster_state:ok.
    assert script.index("redis-cli -h redis cluster info") < script.index("--cluster create")
    assert "cluster_state:ok" in script.split("--cluster create", 1)[1]
    # NODES: each node once, at the address it announces. Six with one replica each: 3 masters.
    announced = {f"{option(svcs[n]['command'], '--cluster-announce-ip')}:6379" for n in REDIS_NODES}
    nodes = env_of(init)["NODES"].split()
    assert len(nodes) == len(set(nodes)) and set(nodes) == announced
    assert len(nodes) // (1 + 1) == 3


def test_every_redis_url_names_the_cluster(cluster_config):
    svcs = cluster_config["services"]
    users = {name for name, svc in svcs.items() if "REDIS_URL" in env_of(svc)}
    assert users == set(APP_SERVICES)
    for name in users:
        url = env_of(svcs[name])["REDIS_URL"]
        assert url.startswith("redis-cluster://"), f"{name}: {url}"
        seeds = url[len("redis-cluster://"):].split(",")
        assert len(seeds) >= 3
        for seed in seeds:
            host, port = seed.split(":")
            assert host in REDIS_NODES and port == "6379", f"{name}: {seed} is not a cluster node"
        # The nodes' network for Redis; the compose network still, for nginx, MySQL and Kafka.
        assert {REDIS_NET, "default"} <= set(svcs[name]["networks"])
    assert env_of(svcs["migrate"]) == env_of(svcs["web"]) == env_of(svcs["workers"])


def test_what_waited_for_redis_waits_for_the_cluster(config, cluster_config):
    waited = [name for name, svc in config["services"].items() if "redis" in depends_on(svc)]
    assert waited == ["migrate"]
    for name in waited:
        deps = depends_on(cluster_config["services"][name])
        assert deps["redis-cluster-init"] == "service_completed_successfully"
    # web and workers, after migrate, so after the cluster too
    for name in ("web", "workers"):
        assert depends_on(cluster_config["services"][name])["migrate"] == \
            "service_completed_successfully"


def test_cluster_overlay_changes_nothing_else(config, cluster_config):
    def rest(svc):  # what the overlay leaves alone; merged volumes come back in another order
        return {k: sorted(v) if k == "volumes" else v for k, v in svc.items()
                if k not in ("environment", "networks", "depends_on")}

    for name, svc in config["services"].items():
        if name in REDIS_NODES:
            continue
        assert rest(cluster_config["services"][name]) == rest(svc), name
        assert set(depends_on(cluster_config["services"][name])) >= set(depends_on(svc)), name
        env = env_of(cluster_config["services"][name])
        env.pop("REDIS_URL", None)
        assert env == {k: v for k, v in env_of(svc).items() if k != "REDIS_URL"}, name
    assert cluster_config["networks"]["default"] == config["networks"]["default"]
    assert cluster_config["services"]["nginx"]["networks"] == config["services"]["nginx"]["networks"]


def test_cluster_overlay_requires_jwt_secret(tmp_path):
    r = run_compose_config(tmp_path, (COMPOSE, COMPOSE_CLUSTER))
    assert r.returncode != 0 and "JWT_SECRET" in r.stderr


# ---- Dockerfile and .dockerignore ----------------------------------------------------------

DEV_PKGS = ["libfcgi-dev", "libmariadb-dev", "libhiredis-dev", "librdkafka-dev",
            "libctemplate-dev", "libjansson-dev", "libsodium-dev", "libjwt-dev",
            "libcurl4-openssl-dev"]


def test_dockerfile_stages():
    stages = dockerfile_stages()
    assert len(stages) == 2
    (build_from, build), (run_from, run) = stages
    assert re.fullmatch(r"FROM debian:12-slim AS build", build_from, re.I)
    assert run_from.split()[1] == "debian:12-slim"
    # Build stage: the Makefile's packages, then make.
    pkgs = apt_installed(build)
    for p in DEV_PKGS + ["build-essential", "pkg-config", "g++"]:
        assert p in pkgs, f"build stage does not install {p}"
    mk = [i for i in build if i.startswith("RUN ") and re.search(r"\bmake\b", i)]
    assert mk and "bin/firstcome" in mk[0]
    # Runtime stage: no compilers or headers; the app root laid out beside bin/; not root.
    rt = apt_installed(run)
    assert rt and not [p for p in rt if p.endswith("-dev") or p in ("build-essential", "g++")]
    assert any(re.fullmatch(r"COPY --from=build \S+ /app", i) for i in run)
    users = [i.split()[1] for i in run if i.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    staged = " ".join(i for i in build if i.startswith("RUN "))
    for d in ("templates", "static", "sql", "nginx", "app/lua"):
        assert d in staged, f"{d} is not staged into the image"
    assert any(i.startswith("ENTRYPOINT") for i in run)


def runtime_packages():
    return set(apt_installed(dockerfile_stages()[1][1]))


def owning_package(path):
    candidates = {path, os.path.realpath(path)}
    for p in list(candidates):
        candidates.add(p[4:] if p.startswith("/usr/") else "/usr" + p)
    for c in candidates:
        r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    raise AssertionError(f"no Debian package owns {path}")


def test_runtime_stage_installs_every_library_the_binary_needs():
    assert BINARY.exists(), "bin/firstcome is missing: run `make bin/firstcome` first"
    needed = re.findall(r"\(NEEDED\).*\[(.+)\]",
                        subprocess.run(["readelf", "-d", str(BINARY)], capture_output=True,
                                       text=True, check=True).stdout)
    assert needed
    resolved = dict(re.findall(r"^\s*(\S+) => (/\S+)", subprocess.run(
        ["ldd", str(BINARY)], capture_output=True, text=True, check=True).stdout, re.M))
    # In debian:12-slim already (libc6, and libstdc++6/libgcc-s1 as dependencies of apt).
    base = {"libc6", "libstdc++6", "libgcc-s1"}
    have = runtime_packages() | base
    for soname in needed:
        assert soname in resolved, f"ldd cannot resolve {soname}"
        pkg = owning_package(resolved[soname])
        assert pkg in have, f"{soname} comes from {pkg}, which the runtime stage does not install"


def test_runtime_stage_has_the_library_of_every_dev_package():
    rt = runtime_packages()
    for dev in DEV_PKGS:
        out = subprocess.run(["apt-cache", "depends", dev], capture_output=True, text=True,
                             check=True).stdout
        libs = {m for m in re.findall(r"^\s*Depends: (\S+)", out, re.M)
                if m.startswith("lib") and not m.endswith("-dev") and m != "libc6"}
        assert libs, f"apt-cache knows no runtime library for {dev}"
        assert libs & rt, f"{dev} links against {sorted(libs)}; none is in the runtime stage"


def test_dockerignore_is_an_allow_list():
    patterns = [l.strip() for l in DOCKERIGNORE.read_text().splitlines()
                if l.strip() and not l.startswith("#")]
    assert patterns[0] == "*"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    assert allowed == {"Makefile", "app", "templates", "static", "sql", "nginx"}


# ---- docker/nginx-entrypoint.sh ------------------------------------------------------------

def test_entrypoint_renders_the_compose_config(tmp_path, config):
    env = env_of(config["services"]["nginx"])
    # Keep the compose values of every token; only paths that would be written move to tmp.
    state = tmp_path / "state"
    env.update(NGINX_TEMPLATE=str(TEMPLATE), STATE_DIR=str(state), LOG_DIR=str(state / "logs"),
               TEMP_DIR=str(state / "tmp"))
    r = render(tmp_path, **env)
    assert r.returncode == 0, r.stderr
    conf = (state / "nginx.conf").read_text()
    assert "@@" not in conf
    assert re.search(r"^user nginx;$", conf, re.M)
    assert re.search(r"^daemon off;$", conf, re.M)
    assert f"pid {state}/pids/nginx.pid;" in conf
    assert "server web:9000;" in conf
    assert re.search(r"listen 80 default_server", conf)
    assert "include /etc/nginx/mime.types;" in conf
    assert "include /etc/nginx/fastcgi_params;" in conf
    assert "alias /srv/firstcome/static/;" in conf
    assert "rate=50r/s;" in conf
    assert "limit_req zone=api burst=100 nodelay;" in conf
    assert "access_log /dev/stdout;" in conf
    assert "allow 127.0.0.1; allow 172.30.80.9;\n            deny all;" in conf  # /metrics, /healthz
    prom = config["services"]["prometheus"]["networks"]["default"]["ipv4_address"]
    assert prom == "172.30.80.9"  # the one address besides loopback that reads them
    assert (state / "pids").is_dir() and (state / "tmp").is_dir()
    err_log = state / "logs" / "nginx-error.log"
    assert err_log.is_symlink() and os.readlink(err_log) == "/dev/stderr"


def test_entrypoint_render_passes_nginx_t(tmp_path):
    assert os.access(NGINX, os.X_OK), f"{NGINX} missing (Debian package nginx-light)"
    static = tmp_path / "static"
    shutil.copytree(REPO / "static", static)
    for api_limit in ("limit_req zone=api burst=100 nodelay;", ""):
        run_dir = tmp_path / ("limited" if api_limit else "unlimited")
        run_dir.mkdir()
        r = render(run_dir, FCGI_PASS="127.0.0.1:9000", LISTEN=f"127.0.0.1:{free_port()}",
                   DAEMON="off", USER_DIRECTIVE="", MIME_TYPES="/etc/nginx/mime.types",
                   FASTCGI_PARAMS="/etc/nginx/fastcgi_params", STATIC_ROOT=str(static),
                   ACCESS_LOG=str(run_dir / "access.log"), API_RATE="50r/s",
                   API_LIMIT=api_limit, NGINX_ERROR_LOG_TO_STDERR="0")
        assert r.returncode == 0, r.stderr
        conf = run_dir / "state" / "nginx.conf"
        text = conf.read_text()
        assert "@@" not in text
        assert not re.search(r"^\s*user ", text, re.M)
        assert ("limit_req zone=api" in text) == bool(api_limit)
        t = subprocess.run([NGINX, "-t", "-p", str(run_dir), "-c", str(conf),
                            "-e", str(run_dir / "startup-error.log")],
                           capture_output=True, text=True, timeout=60)
        assert t.returncode == 0, f"nginx -t failed:\n{t.stderr}\n{text}"
        assert "test is successful" in t.stderr


def test_entrypoint_refuses_an_ops_allow_that_is_not_addresses(tmp_path):
    for bad in ("10.0.0.0/8; allow all", "prometheus", " "):
        r = render(tmp_path, OPS_ALLOW=bad)
        assert r.returncode != 0, bad
        assert "OPS_ALLOW" in r.stderr
        assert not (tmp_path / "state" / "nginx.conf").exists()


def test_entrypoint_refuses_unknown_tokens(tmp_path):
    tpl = tmp_path / "nginx.conf.tpl"
    tpl.write_text(TEMPLATE.read_text() + "\n# @@IN_A_COMMENT@@ is fine\nworker_rlimit_nofile @@NOFILE@@;\n")
    r = render(tmp_path, template=tpl)
    assert r.returncode != 0
    assert "@@NOFILE@@" in r.stderr and "IN_A_COMMENT" not in r.stderr
    assert not (tmp_path / "state" / "nginx.conf").exists()


def test_entrypoint_execs_the_given_command(tmp_path):
    marker = tmp_path / "ran"
    r = render(tmp_path, command=("/bin/sh", "-c", f'echo "$0" > {marker}', "exec-ok"))
    assert r.returncode == 0, r.stderr
    assert marker.read_text().strip() == "exec-ok"

# firstcome: build, run, test and benchmark. `make run` and `make test` are the two commands.
SHELL := /bin/bash
PKGS := fcgi libmariadb hiredis rdkafka jansson libsodium libjwt libcurl libctemplate vips
CC ?= cc
CXX ?= g++
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
        -Wformat=2 -Wcast-qual -Wundef -Wvla -Werror
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -D_GNU_SOURCE -pthread -Iapp $(WARN)
CXXFLAGS ?= -O2 -g
CXXFLAGS += -std=gnu++17 -Iapp -Wall -Wextra -Wshadow -Werror
PKG_CFLAGS = $(shell pkg-config --cflags $(filter-out fcgi,$(PKGS)) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(filter-out fcgi,$(PKGS)) 2>/dev/null) -lfcgi -lm -lpthread

SRC := $(sort $(wildcard app/core/*.c app/http/*.c app/store/*.c app/domain/*.c app/web/*.c app/workers/*.c app/tools/*.c))
CXXSRC := $(wildcard app/view/*.cc)
OBJ := $(SRC:%.c=build/%.o) $(CXXSRC:%.cc=build/%.o)
MAIN := build/app/main.o
UNIT_SRC := $(wildcard tests/unit/*/*.c)
UNIT_HDR := $(wildcard tests/unit/*/*.h)

.PHONY: all deps run stop status test unit scale bench load hostile screenshots fuzz fuzz-bin clean format format-check check-layers
all: bin/firstcome

deps:
	@./scripts/deps.sh

bin/firstcome: $(OBJ) $(MAIN)
	@mkdir -p bin
	@echo '  LINK  $@'
	@$(CXX) -o $@ $^ $(PKG_LIBS)

build/%.o: %.c $(wildcard app/*/*.h)
	@mkdir -p $(dir $@)
	@echo '  CC    $<'
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

build/%.o: %.cc $(wildcard app/*/*.h)
	@mkdir -p $(dir $@)
	@echo '  CXX   $<'
	@$(CXX) $(CXXFLAGS) $(PKG_CFLAGS) -c -o $@ $<

# Unit tests: the same sources, rebuilt with AddressSanitizer and UBSan.
ASAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
build/asan/%.o: %.c $(wildcard app/*/*.h)
	@mkdir -p $(dir $@)
	@echo '  CC    $< (asan)'
	@$(CC) $(CFLAGS) -O1 $(ASAN) $(PKG_CFLAGS) -c -o $@ $<
build/asan/%.o: %.cc $(wildcard app/*/*.h)
	@mkdir -p $(dir $@)
	@echo '  CXX   $< (asan)'
	@$(CXX) $(CXXFLAGS) -O1 $(ASAN) $(PKG_CFLAGS) -c -o $@ $<
$(UNIT_SRC:%.c=build/asan/%.o): $(UNIT_HDR)
bin/unit-tests: $(OBJ:build/%=build/asan/%) $(UNIT_SRC:%.c=build/asan/%.o)
	@mkdir -p bin
	@echo '  LINK  $@'
	@$(CXX) $(ASAN) -o $@ $^ $(PKG_LIBS) -lcriterion

unit: deps bin/unit-tests
	ASAN_OPTIONS=detect_leaks=1 ./bin/unit-tests --jobs 2

run: deps bin/firstcome
	@./scripts/stack.sh start

stop:
	@./scripts/stack.sh stop

status:
	@./scripts/stack.sh status

test: deps bin/firstcome bin/unit-tests fuzz-bin format-check check-layers
	@./scripts/test.sh

bench: deps bin/firstcome
	@./scripts/bench.sh

load: deps bin/firstcome
	@./scripts/load.sh

# Hostile clients against a stack of its own, each attack for HOSTILE_SECONDS (30); the report
# (well-behaved clients' p99 before and during each attack) is printed.
hostile: deps bin/firstcome
	@STACK_ONLY=1 SUITES=tests/hostile HOSTILE_SECONDS=$${HOSTILE_SECONDS:-30} ./scripts/test.sh -s

# The drill beyond one machine (tests/scale/, not part of `make test`) against a stack of its own
# on free ports: two web hosts, a Redis Cluster of three masters with a replica each, a devbroker
# cluster of three brokers, two processes per consumer group; stopped again afterwards. Its faults:
# a web host killed, a broker down, slots resharded (redis-cli --cluster reshard) under live
# storms, a Redis master killed (its replica takes over).
scale: deps bin/firstcome
	@WEB_HOSTS=$${WEB_HOSTS:-2} REDIS_CLUSTER=$${REDIS_CLUSTER:-3} \
		REDIS_CLUSTER_REPLICAS=$${REDIS_CLUSTER_REPLICAS:-1} KAFKA_BROKER_COUNT=$${KAFKA_BROKER_COUNT:-3} \
		WORKER_PROCESSES=$${WORKER_PROCESSES:-2} STACK_ONLY=1 SUITES=tests/scale ./scripts/test.sh -s

# libFuzzer targets (tests/fuzz/): our code that reads untrusted bytes, built with clang under
# AddressSanitizer and UBSan, with the few sources each needs: FUZZ_SRC_<target> and the
# pkg-config libraries FUZZ_PKGS_<target>, by default FUZZ_APP and jansson. Objects are built once
# under build/fuzz/ with libFuzzer's coverage and shared by the targets. `make fuzz
# FUZZ_TARGETS="fuzz_a fuzz_b"` builds and runs only those.
FUZZ_TARGETS := $(basename $(notdir $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_APP := app/core/arena.c app/core/text.c app/core/kvlist.c app/core/strbuf.c app/http/peers.c \
	app/http/request.c app/http/router.c app/web/api.c
# The domain's checks and decoders share their files with its MySQL, Redis and Kafka calls: the
# targets that reach them link the layers under web whole (nothing connects unless asked).
FUZZ_DOMAIN := $(sort $(wildcard app/core/*.c app/store/*.c app/domain/*.c))
FUZZ_DOMAIN_PKGS := $(filter-out fcgi libctemplate,$(PKGS))
FUZZ_SRC_fuzz_bodies := $(FUZZ_DOMAIN) app/http/request.c app/web/api.c app/web/form.c
FUZZ_PKGS_fuzz_bodies := $(FUZZ_DOMAIN_PKGS)
FUZZ_SRC_fuzz_tokens := $(FUZZ_DOMAIN) app/http/request.c app/web/auth.c
FUZZ_PKGS_fuzz_tokens := $(FUZZ_DOMAIN_PKGS)
FUZZ_SRC_fuzz_config := app/core/config.c
FUZZ_PKGS_fuzz_config := libsodium
FUZZ_SRC_fuzz_replies := $(FUZZ_DOMAIN)
FUZZ_PKGS_fuzz_replies := $(FUZZ_DOMAIN_PKGS)
FUZZ_SRC_fuzz_gates := $(FUZZ_DOMAIN)
FUZZ_PKGS_fuzz_gates := $(FUZZ_DOMAIN_PKGS)
FUZZ_SRC_fuzz_urls := $(FUZZ_DOMAIN)
FUZZ_PKGS_fuzz_urls := $(FUZZ_DOMAIN_PKGS)
FUZZ_SRC_fuzz_cluster := app/store/redis_cluster.c app/core/text.c app/core/arena.c
FUZZ_PKGS_fuzz_cluster := hiredis jansson
FUZZ_SRC_fuzz_rooms := app/domain/room_replies.c app/core/text.c app/core/arena.c
FUZZ_PKGS_fuzz_rooms := hiredis jansson
FUZZ_SRC_fuzz_fcgi := app/core/arena.c app/core/text.c app/core/kvlist.c app/core/strbuf.c \
	app/http/request.c app/http/fcgi_records.c
fuzz_src = $(or $(FUZZ_SRC_$(1)),$(FUZZ_APP))
fuzz_pkgs = $(or $(FUZZ_PKGS_$(1)),jansson)
fuzz_objs = $(patsubst %.c,build/fuzz/%.o,$(call fuzz_src,$(1)))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_FLAGS := $(FUZZ_SAN) -fsanitize=fuzzer-no-link -g -O1 -std=gnu11 -D_GNU_SOURCE -Iapp $(WARN)
.PRECIOUS: build/fuzz/%.o
build/fuzz/%.o: %.c $(wildcard app/*/*.h tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	@echo '  CC    $< (fuzz)'
	@clang $(FUZZ_FLAGS) $(PKG_CFLAGS) -c -o $@ $<
.SECONDEXPANSION:
bin/fuzz/%: build/fuzz/tests/fuzz/%.o $$(call fuzz_objs,$$*)
	@mkdir -p bin/fuzz
	@echo '  FUZZ  $@'
	@clang $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(shell pkg-config --libs $(call fuzz_pkgs,$*)) \
		-lm -lpthread
fuzz-bin: $(addprefix bin/fuzz/,$(FUZZ_TARGETS))
fuzz: deps fuzz-bin
	@FUZZ_TARGETS="$(FUZZ_TARGETS)" ./scripts/fuzz.sh

# Every page a person meets, in headless Chromium: docs/screenshots/.
screenshots: deps bin/firstcome
	@./scripts/screenshots.sh

FORMATTED := $(SRC) $(CXXSRC) app/main.c $(wildcard app/*/*.h) $(UNIT_SRC) $(UNIT_HDR) \
	$(wildcard tests/fuzz/*.c tests/fuzz/*.h)
format:
	clang-format -i $(FORMATTED)
# Part of `make test`: the sources are as `make format` leaves them.
format-check:
	@clang-format --dry-run --Werror $(FORMATTED) || { echo "unformatted sources: run make format"; exit 1; }

# Part of `make test`: every include under app/ points at its own layer or one below it.
check-layers:
	@./scripts/check-layers.sh

clean:
	rm -rf build bin

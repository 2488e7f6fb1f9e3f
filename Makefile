# autobot: GNU make. `make`, `make check`, `make asan`, `make bench`, `make demo`,
# `make install` (PREFIX, DESTDIR, BINDIR, MANDIR, DATADIR).

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR  ?= $(DATADIR)/zsh/vendor-completions

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

# Build output folders; `make asan` uses its own so both can coexist.
BUILD ?= build
BIN   ?= bin

CC      ?= cc
CFLAGS  ?= -O2 -g
# The project's own flags come after the user's, so a user's CFLAGS cannot drop
# the warnings.
AB_CFLAGS = $(CFLAGS) -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-Wall -Wextra -Wshadow -Wno-unused-parameter -Ilib \
	-DAB_VERSION='"$(VERSION)"' -DAB_DATADIR='"$(DATADIR)/autobot"' -MMD -MP
AB_LDFLAGS = $(LDFLAGS) -Wl,--as-needed
LIBS = -ljq -lonig -lsqlite3 -lcurl -lsodium -lgsl -lopenblas -lmicrohttpd -lm -lpthread

LIB_SRC  := $(sort $(wildcard lib/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
MIGRATIONS := $(sort $(wildcard share/autobot/migrations/*.sql))
LIBA     := $(BUILD)/libautobot.a

# A program is cmd/ab-x.c or a folder cmd/ab-x/ of .c files.
PROG_FILES := $(sort $(wildcard cmd/ab-*.c))
PROG_DIRS  := $(sort $(patsubst %/,%,$(dir $(wildcard cmd/ab-*/*.c))))
# Subfolders of a program's folder (cmd/ab-x/exchanges/*.c) belong to it too.
PROGS      := $(sort $(notdir $(PROG_FILES:.c=) $(PROG_DIRS)))
PROG_BINS  := $(PROGS:%=$(BIN)/%)

# The cron and monitoring scripts are installed with the programs.
OPS_SCRIPTS := scripts/ab-cron scripts/ab-run scripts/ab-health scripts/ab-backup

UNIT_SRC  := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: soak all deps node_modules check asan bench demo install uninstall clean fuzz completions lint-man
all: $(PROG_BINS) $(UNIT_BINS)

deps:
	@scripts/deps

# Chart.js for the report and jose for the JWT interop tests, pinned by the
# lock file; npm ci runs again only when the lock file changes.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
node_modules: node_modules/.package-lock.json

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(AB_CFLAGS) -c -o $@ $<

$(BUILD)/gen/migrations.c: $(MIGRATIONS) scripts/embed-sql
	@mkdir -p $(dir $@)
	scripts/embed-sql $@ $(MIGRATIONS)

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c
	$(CC) $(AB_CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

define prog_rule
$(BIN)/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/$(1).c cmd/$(1)/*.c cmd/$(1)/*/*.c)) $(LIBA)
	@mkdir -p $(BIN)
	$$(CC) $$(AB_CFLAGS) $$(AB_LDFLAGS) -o $$@ $$(filter %.o,$$^) $(LIBA) $$(LIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(AB_CFLAGS) $(AB_LDFLAGS) -o $@ $< $(LIBA) $(LIBS)

# Completions are generated from the programs' own option tables and
# committed; tests/docs.bats fails when they drift. `make completions` updates them.
completions: $(PROG_BINS)
	scripts/gen-completions $(BIN) completions

check: deps
	@$(MAKE) --no-print-directory all node_modules
	@AB_BIN=$(abspath $(BIN)) AB_UNIT=$(abspath $(BUILD))/tests tests/run

asan: deps
	@$(MAKE) --no-print-directory node_modules
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=bin-asan \
		CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
		LDFLAGS='-fsanitize=address,undefined' all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99 \
		AB_BIN=$(abspath bin-asan) AB_UNIT=$(abspath build-asan)/tests AB_ASAN=1 tests/run

bench: deps all
	@AB_BIN=$(abspath $(BIN)) scripts/bench

demo: deps all node_modules
	@AB_BIN=$(abspath $(BIN)) scripts/demo

# libFuzzer harnesses (clang), each run for FUZZ_SECONDS with the fixtures as
# seed corpus; findings are written to build-fuzz/ and fail the target.
FUZZ_SECONDS ?= 60
comma := ,
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS = -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ilib \
	-DAB_VERSION='"$(VERSION)"' -DAB_DATADIR='"$(DATADIR)/autobot"' \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
# lib/ is compiled once with the fuzzer's coverage instrumentation, then each
# harness links against it.
FUZZ_LIB_OBJ := $(LIB_SRC:lib/%.c=build-fuzz/lib/%.o) build-fuzz/lib/migrations.o
build-fuzz/lib/%.o: lib/%.c
	@mkdir -p build-fuzz/lib
	clang $(subst fuzzer$(comma),fuzzer-no-link$(comma),$(FUZZ_CFLAGS)) -c -o $@ $<
build-fuzz/lib/migrations.o: $(BUILD)/gen/migrations.c
	@mkdir -p build-fuzz/lib
	clang $(subst fuzzer$(comma),fuzzer-no-link$(comma),$(FUZZ_CFLAGS)) -c -o $@ $<
build-fuzz/libautobot.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
# Harnesses #include program sources, so those are prerequisites too.
FUZZ_DEPS := $(wildcard cmd/*/*.c cmd/*/*.h cmd/*/*/*.c tests/fuzz/*.h)
build-fuzz/%: tests/fuzz/%.c build-fuzz/libautobot.a $(FUZZ_DEPS)
	clang $(FUZZ_CFLAGS) -o $@ $< build-fuzz/libautobot.a $(LIBS)
fuzz: deps $(FUZZ_BINS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz $(FUZZ_BINS)

# The long reliability runs: RELIABILITY_KILLS kills per writer (200),
# RELIABILITY_ROWS-row imports (200000), SOAK_SECONDS of concurrent writers (300).
soak: deps all
	@AB_BIN=$(abspath $(BIN)) scripts/soak

lint-man:
	@for m in man/*.[17]; do mandoc -Tlint -W warning $$m || exit 1; done

install: all node_modules
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(DATADIR)/autobot $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 755 $(PROG_BINS) $(DESTDIR)$(BINDIR)/
	install -m 755 $(OPS_SCRIPTS) $(DESTDIR)$(BINDIR)/
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7/
	cp -R share/autobot/. $(DESTDIR)$(DATADIR)/autobot/
	install -d $(DESTDIR)$(DATADIR)/autobot/report
	install -m 644 node_modules/chart.js/dist/chart.umd.js $(DESTDIR)$(DATADIR)/autobot/report/chart.umd.js
	install -m 644 completions/autobot.bash $(DESTDIR)$(BASHCOMPDIR)/autobot
	for p in $(PROGS); do ln -sf autobot $(DESTDIR)$(BASHCOMPDIR)/$$p; done
	install -m 644 completions/_autobot $(DESTDIR)$(ZSHCOMPDIR)/_autobot

uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(BINDIR)/%) $(PROGS:%=$(DESTDIR)$(BASHCOMPDIR)/%)
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(OPS_SCRIPTS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1)))
	rm -f $(DESTDIR)$(MANDIR)/man7/autobot.7
	rm -f $(DESTDIR)$(BASHCOMPDIR)/autobot $(DESTDIR)$(ZSHCOMPDIR)/_autobot
	rm -rf $(DESTDIR)$(DATADIR)/autobot

clean:
	rm -rf build build-asan bin bin-asan

-include $(LIB_OBJ:.o=.d) $(wildcard $(BUILD)/cmd/*.d $(BUILD)/cmd/*/*.d $(BUILD)/cmd/*/*/*.d $(BUILD)/tests/unit/*.d)

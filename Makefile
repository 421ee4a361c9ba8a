# nestvmx: one flat Makefile.  `make V=1` shows the commands.
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CPPFLAGS += -D_GNU_SOURCE -I.
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
PREFIX  ?= /usr/local
B       := build
.DEFAULT_GOAL := all

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Debian packages each target needs; `make deps` installs all of them.
DEPS_BUILD := gcc make pkg-config binutils
DEPS_TEST  := check libsubunit-dev
DEPS_BOCHS := bochs bochsbios vgabios bochs-term
DEPS_COV   := lcov
DEPS_FUZZ  := clang libclang-rt-14-dev afl++
DEPS_ALL   := $(DEPS_BUILD) $(DEPS_TEST) $(DEPS_BOCHS) $(DEPS_COV) $(DEPS_FUZZ)

REFVMM_SRC  := $(sort $(wildcard refvmm/*.c))
NESTED_SRC  := $(sort $(wildcard nested/*.c))
HARNESS_SRC := $(sort $(filter-out harness/main.c,$(wildcard harness/*.c)))
REFVMM_TEST := $(sort $(wildcard refvmm/tests/*.c))
HARNESS_TEST:= $(sort $(wildcard harness/tests/*.c))

# ---- generated: built-in capability profiles ----
# One source of truth: the profile corpus becomes a const C table at build
# time (refvmm/caps_gen.awk), compiled into the library and every test.
CAPS_CORPUS := corpora/caps/bochs-caps.txt corpora/caps/bochs-caps-extra.txt corpora/caps/intel-cpus.txt corpora/caps/variants.txt
CAPS_GEN    := $(B)/gen/caps_data.c
REFVMM_SRC  += $(CAPS_GEN)
$(CAPS_GEN): refvmm/caps_gen.awk $(CAPS_CORPUS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)awk -f refvmm/caps_gen.awk $(CAPS_CORPUS) > $@.tmp && mv $@.tmp $@
# ---- end generated ----

obj = $(patsubst %.c,$(B)/$(1)/%.o,$(2))

LIBREFVMM   := $(B)/librefvmm.a
NESTVMX     := $(B)/nestvmx

.PHONY: all check unit conform bench deps deps-test deps-fuzz clean install fuzz fuzz-afl fuzz-smoke coverage
all: $(NESTVMX) $(LIBREFVMM)

# ---- normal build ----
$(B)/rel/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -MMD -MP -c $< -o $@

$(LIBREFVMM): $(call obj,rel,$(REFVMM_SRC))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/libnested.a: $(call obj,rel,$(NESTED_SRC))
	$(Q)rm -f $@ && ar rcs $@ $^

$(NESTVMX): $(call obj,rel,harness/main.c $(HARNESS_SRC)) $(B)/libnested.a $(LIBREFVMM)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lm -lpthread

# ---- sanitized build for the unit tests ----
$(B)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC-SAN  $<")
	$(Q)$(CC) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) $(CHECK_CFLAGS) -MMD -MP -c $< -o $@

CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

# The model's tests also use the setup templates (pure functions of a profile).
REFVMM_TEST_EXTRA := $(wildcard harness/templates.c)
$(B)/test_refvmm: $(call obj,asan,$(REFVMM_TEST) $(REFVMM_SRC) $(REFVMM_TEST_EXTRA))
	$(Q)$(CC) $(SAN) -o $@ $^ $(CHECK_LIBS) -lm
$(B)/test_harness: $(call obj,asan,$(HARNESS_TEST) $(HARNESS_SRC) $(NESTED_SRC) $(REFVMM_SRC))
	$(Q)$(CC) $(SAN) -o $@ $^ $(CHECK_LIBS) -lm -lpthread

UNIT_BINS := $(if $(REFVMM_TEST),$(B)/test_refvmm) $(if $(HARNESS_TEST),$(B)/test_harness)

# ---- fuzzing: one LLVMFuzzerTestOneInput per fuzz/fuzz_*.c ----
FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(sort $(wildcard fuzz/fuzz_*.c)))
FUZZ_LIBSRC  := $(REFVMM_SRC) $(NESTED_SRC) $(HARNESS_SRC)
FUZZ_TIME    ?= 20
$(B)/fuzz/%: fuzz/%.c $(FUZZ_LIBSRC)
	@mkdir -p $(dir $@)
	$(Q)clang $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -o $@ $^ -lm -lpthread
$(B)/afl/%: fuzz/%.c $(FUZZ_LIBSRC)
	@mkdir -p $(dir $@)
	$(Q)AFL_QUIET=1 afl-clang-fast $(WARN) -O1 -g -fsanitize=fuzzer $(CPPFLAGS) -o $@ $^ -lm -lpthread
# the replay runner: the same targets built with gcc under ASan+UBSan
$(B)/replay/%: $(call obj,asan,fuzz/%.c fuzz/replay.c $(FUZZ_LIBSRC))
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(SAN) -o $@ $^ -lm -lpthread

fuzz: deps-fuzz $(addprefix $(B)/fuzz/,$(FUZZ_TARGETS))
fuzz-afl: deps-fuzz $(addprefix $(B)/afl/,$(FUZZ_TARGETS))
# CI smoke: every corpus entry replays cleanly, then FUZZ_TIME seconds of
# libFuzzer per target; new crashes are kept in corpora/<target>/crashes.
fuzz-smoke: deps-fuzz $(addprefix $(B)/replay/,$(FUZZ_TARGETS)) $(addprefix $(B)/fuzz/,$(FUZZ_TARGETS))
	$(Q)for t in $(FUZZ_TARGETS); do mkdir -p corpora/$$t && \
		./$(B)/replay/$$t corpora/$$t || exit 1; \
		mkdir -p $(B)/fuzz-work/$$t && \
		./$(B)/fuzz/$$t -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			-artifact_prefix=$(B)/fuzz-work/$$t- $(B)/fuzz-work/$$t corpora/$$t 2>$(B)/fuzz-work/$$t.log \
			|| { tail -40 $(B)/fuzz-work/$$t.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units' $(B)/fuzz-work/$$t.log; done
deps-fuzz:
	$(Q)sh ci/deps.sh $(DEPS_BUILD) $(DEPS_FUZZ) $(DEPS_TEST)

# ---- probe kernel ----
# harness/probe/: the freestanding x86-64 kernel the bochs, kvm and metal
# backends boot (probe.bin: multiboot image at TM_PROBE_BASE; rom.bin: the
# Bochs reset ROM).  Both are embedded in nestvmx (blob.o).  The model's
# guest-code emitter is compiled in when it exists.
PROBE_DIR    := $(B)/probe
PROBE_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -ffreestanding -nostdlib -fno-pic -fno-pie \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fcf-protection=none \
	-fno-asynchronous-unwind-tables -mcmodel=small -DPROBE_KERNEL -I.
PROBE_CSRC   := $(filter-out harness/probe/blob.S harness/probe/rom.S,$(sort $(wildcard harness/probe/*.c harness/probe/*.S))) \
	$(wildcard refvmm/guest_code.c)
PROBE_OBJ    := $(patsubst %,$(PROBE_DIR)/%.o,$(PROBE_CSRC))
PROBE_BLOB   := $(PROBE_DIR)/blob.o
$(PROBE_DIR)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC-PRB  $<")
	$(Q)$(CC) $(PROBE_CFLAGS) -MMD -MP -c $< -o $@
$(PROBE_DIR)/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(PROBE_CFLAGS) -MMD -MP -c $< -o $@
$(PROBE_DIR)/probe.elf: $(PROBE_OBJ) harness/probe/probe.ld
	@$(if $(Q),echo "  LD-PRB  $@")
	$(Q)ld -nostdlib -static -z max-page-size=4096 --no-warn-rwx-segments -T harness/probe/probe.ld -o $@ $(PROBE_OBJ)
$(PROBE_DIR)/probe.bin: $(PROBE_DIR)/probe.elf
	$(Q)objcopy -O binary $< $@
$(PROBE_DIR)/rom.bin: harness/probe/rom.S refvmm/testmachine.h harness/probe_proto.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) -I. -c -m32 $< -o $(PROBE_DIR)/rom.o && objcopy -O binary -j .text $(PROBE_DIR)/rom.o $@
$(PROBE_BLOB): harness/probe/blob.S $(PROBE_DIR)/probe.bin $(PROBE_DIR)/rom.bin
	$(Q)$(CC) -c -DPROBE_BIN='"$(PROBE_DIR)/probe.bin"' -DPROBE_ROM='"$(PROBE_DIR)/rom.bin"' $< -o $@
probe: $(PROBE_DIR)/probe.elf $(PROBE_DIR)/probe.bin $(PROBE_DIR)/rom.bin
$(NESTVMX): $(PROBE_BLOB)
$(B)/test_harness: $(PROBE_BLOB)
.PHONY: probe
# ---- end probe kernel ----

# ---- the targets users run ----
deps:
	$(Q)sh ci/deps.sh $(DEPS_ALL)

deps-test:
	$(Q)sh ci/deps.sh $(DEPS_BUILD) $(DEPS_TEST) $(DEPS_BOCHS)

unit: deps-test
	$(Q)$(MAKE) --no-print-directory $(UNIT_BINS) $(NESTVMX)
	$(Q)for t in $(UNIT_BINS); do echo "== $$t"; CK_FORK=yes ./$$t || exit 1; done
	$(Q)sh ci/field-assert-test.sh
	$(Q)sh ci/asm-test.sh $(NESTVMX)

conform: deps-test $(NESTVMX)
	$(Q)./$(NESTVMX) conform --backend ref --require-rule-cases
	$(Q)sh ci/conform-profiles.sh ./$(NESTVMX)
	$(Q)if command -v bochs >/dev/null; then ./$(NESTVMX) conform --backend bochs; fi

check: deps-test
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory conform

coverage:
	$(Q)sh ci/deps.sh $(DEPS_BUILD) $(DEPS_TEST) $(DEPS_COV)
	$(Q)sh ci/coverage.sh

bench: $(NESTVMX)
	$(Q)./$(NESTVMX) bench

install: $(NESTVMX) $(LIBREFVMM)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/refvmm
	install -m 755 $(NESTVMX) $(DESTDIR)$(PREFIX)/bin/nestvmx
	install -m 644 $(LIBREFVMM) $(DESTDIR)$(PREFIX)/lib/librefvmm.a
	install -m 644 refvmm/*.h refvmm/*.def $(DESTDIR)$(PREFIX)/include/refvmm

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

/* Shared by the fuzz targets: one LLVMFuzzerTestOneInput per target file;
 * replay.c drives the same entry point from files (CI smoke, AFL++). */
#ifndef NESTVMX_FUZZ_H
#define NESTVMX_FUZZ_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken oracle is a crash, so the fuzzer keeps the input. */
#define ORACLE(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#endif

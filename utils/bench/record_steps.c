/* record_steps.c - times, in-process, the work a miss gained when factor
 * records became always-on (issue 15): the miss log line and the history
 * record of an output (first compile, then a rebuild that has a previous
 * record to compare with), and the writer record beside the entry.
 * Built and run by record-cost.sh:
 *   record_steps RECORD_FILE EMPTY_CACHE_DIR
 * RECORD_FILE is a real factor record (any <cache>/history/<hex>/last). */
#include "objcache/history.h"
#include "objcache/misses.h"
#include "objcache/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROUNDS 500

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static bool ok(oc_status status, const oc_error *err) {
  if (status != OC_OK)
    fprintf(stderr, "record_steps: %s\n", err->message);
  return status == OC_OK;
}

/* The miss path's two history steps for output i. */
static bool note(const oc_config *cfg, int i, const char *rec, size_t len) {
  char out[64];
  snprintf(out, sizeof out, "/nonexistent/out%d.o", i);
  oc_error err;
  return ok(oc_misses_note(cfg, out, rec, len, &err), &err) &&
         ok(oc_history_record(cfg, out, rec, len, &err), &err);
}

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  static char rec[1 << 20];
  FILE *f = fopen(argv[1], "rb");
  size_t len = f ? fread(rec, 1, sizeof rec, f) : 0;
  if (f)
    fclose(f);
  if (len < 2)
    return 2;
  setenv("OBJCACHE_DIR", argv[2], 1);
  oc_config cfg;
  oc_error err;
  oc_store *store;
  if (!ok(oc_config_load(&cfg, &err), &err) ||
      !ok(oc_store_open(&cfg, &store, &err), &err))
    return 1;
  double t0 = now();
  for (int i = 0; i < ROUNDS; i++)
    if (!note(&cfg, i, rec, len))
      return 1;
  double t1 = now();
  for (int i = 0; i < ROUNDS; i++) {
    oc_digest key = oc_hash_bytes(&i, sizeof i);
    if (!ok(oc_store_put_record(store, &key, rec, len, &err), &err))
      return 1;
  }
  double t2 = now();
  for (int i = 0; i < ROUNDS; i++) {
    rec[len - 2] ^= 1; /* a changed record: the rebuild's miss is explained */
    if (!note(&cfg, i, rec, len))
      return 1;
  }
  double t3 = now();
  oc_store_close(store);
  printf("record of %zu bytes, ms per miss: history + miss log %.3f (first "
         "compile), %.3f (rebuild); writer record %.3f\n",
         len, (t1 - t0) * 1000 / ROUNDS, (t3 - t2) * 1000 / ROUNDS,
         (t2 - t1) * 1000 / ROUNDS);
  return 0;
}

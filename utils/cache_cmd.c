/* cache_cmd.c - `objcache -C` (remove every object) and `objcache -c`
 * (evict down to max_size, remove abandoned temp files), each reporting
 * what it did in sizes a person can check against -s. */
#include "objcache/store.h"
#include "tool.h"

#include <inttypes.h>
#include <stdio.h>

typedef oc_status (*store_op)(oc_store *store, oc_error *err);

/* Runs op on the store and reports usage before and after. */
static int with_store(const oc_config *cfg, store_op op, const char *done) {
  oc_error err = {0};
  oc_store *store;
  uint64_t bytes_before = 0, entries_before = 0, bytes = 0, entries = 0;
  oc_status status = oc_store_open(cfg, &store, &err);
  if (status != OC_OK) {
    fprintf(stderr, "objcache: %s\n", err.message);
    return TOOL_FAILED;
  }
  status = oc_store_usage(store, &bytes_before, &entries_before, &err);
  if (status == OC_OK)
    status = op(store, &err);
  if (status == OC_OK)
    status = oc_store_usage(store, &bytes, &entries, &err);
  oc_store_close(store);
  if (status != OC_OK) {
    fprintf(stderr, "objcache: %s\n", err.message);
    return TOOL_FAILED;
  }
  char before[32], after[32];
  oc_format_size(bytes_before, before, sizeof before);
  oc_format_size(bytes, after, sizeof after);
  /* Other compiles may add entries meanwhile: never report a negative. */
  uint64_t removed = entries_before > entries ? entries_before - entries : 0;
  printf("%s: %s -> %s, %" PRIu64 " of %" PRIu64 " entries removed\n", done,
         before, after, removed, entries_before);
  return TOOL_OK;
}

int tool_clear(const oc_config *cfg) {
  return with_store(cfg, oc_store_clear, "Cleared the cache");
}

int tool_cleanup(const oc_config *cfg) {
  return with_store(cfg, oc_store_cleanup, "Cleaned up the cache");
}

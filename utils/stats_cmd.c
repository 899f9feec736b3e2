/* stats_cmd.c - `objcache -s`, `--print-stats` and `-z`.
 *
 * -s is for people: the few numbers that say whether the cache is earning
 * its keep, with the reasons behind anything uncacheable. --print-stats is
 * for scripts: every counter by its stable name, one per line, so that a
 * counter added to stats.h shows up here without a change; with
 * --format=json the same as one JSON object. The remote's address is shown
 * without its password. */
#include "objcache/remote_url.h"
#include "objcache/stats.h"
#include "objcache/store.h"
#include "objcache/version.h"
#include "tool.h"

#include <inttypes.h>
#include <stdio.h>

/* What a person calls each uncacheable reason. */
static const char *reason_label(oc_stat stat) {
  switch (stat) {
  case OC_STAT_UNCACHEABLE_IR_INPUT:
    return "LLVM IR or bitcode input";
  case OC_STAT_UNCACHEABLE_OUTPUT_KIND:
    return "not an object or assembly";
  case OC_STAT_UNCACHEABLE_SPLIT_DWARF:
    return "-gsplit-dwarf (unusual layout)";
  case OC_STAT_UNCACHEABLE_COVERAGE:
    return "--coverage (unusual layout)";
  case OC_STAT_UNCACHEABLE_BACKEND_DIAG:
    return "backend diagnostic";
  case OC_STAT_UNCACHEABLE_EXTRA_OUTPUT:
    return "extra output file";
  case OC_STAT_UNCACHEABLE_INLINE_ASM:
    return "inline assembly";
  case OC_STAT_UNCACHEABLE_SAVE_TEMPS:
    return "-save-temps";
  case OC_STAT_UNCACHEABLE_OTHER:
    return "other";
  default:
    return oc_stat_name(stat);
  }
}

/* Everything -s and --print-stats show, read in one place. A damaged stats
 * shard still leaves usable numbers: say so and go on. */
typedef struct {
  oc_stats stats;
  uint64_t bytes, entries;
} snapshot;

static int read_snapshot(const oc_config *cfg, snapshot *snap) {
  oc_error err = {0};
  oc_status status = oc_stats_read(cfg->cache_dir, &snap->stats, &err);
  if (status == OC_CORRUPT)
    fprintf(stderr, "objcache: warning: %s\n", err.message);
  else if (status != OC_OK) {
    fprintf(stderr, "objcache: %s\n", err.message);
    return TOOL_FAILED;
  }
  oc_store *store;
  status = oc_store_open(cfg, &store, &err);
  if (status == OC_OK) {
    status = oc_store_usage(store, &snap->bytes, &snap->entries, &err);
    oc_store_close(store);
  }
  if (status != OC_OK) {
    fprintf(stderr, "objcache: %s\n", err.message);
    return TOOL_FAILED;
  }
  return TOOL_OK;
}

/* --print-stats --format=json: one object, the same names and order as
 * the tab form (every counter from stats.h's table, then the sizes), after
 * the version and the places. Every value of a counter is an integer. */
static void print_json(const oc_config *cfg, const snapshot *snap) {
  char remote[1024];
  oc_remote_url_redact(cfg->remote, remote, sizeof remote);
  printf("{\n  \"objcache_version\": ");
  tool_json_string(stdout, OC_VERSION);
  printf(",\n  \"cache_dir\": ");
  tool_json_string(stdout, cfg->cache_dir);
  printf(",\n  \"remote\": ");
  tool_json_string(stdout, remote);
  for (int i = 0; i < OC_STAT_COUNT; i++) {
    printf(",\n  ");
    tool_json_string(stdout, oc_stat_name((oc_stat)i));
    printf(": %" PRIu64, snap->stats.value[i]);
  }
  printf(",\n  \"cache_size_bytes\": %" PRIu64, snap->bytes);
  printf(",\n  \"max_size_bytes\": %" PRIu64, cfg->max_size);
  printf(",\n  \"entries\": %" PRIu64 "\n}\n", snap->entries);
}

int tool_print_stats(const oc_config *cfg, bool json) {
  snapshot snap;
  int rc = read_snapshot(cfg, &snap);
  if (rc != TOOL_OK)
    return rc;
  if (json) {
    print_json(cfg, &snap);
    return TOOL_OK;
  }
  for (int i = 0; i < OC_STAT_COUNT; i++)
    printf("%s\t%" PRIu64 "\n", oc_stat_name((oc_stat)i), snap.stats.value[i]);
  printf("cache_size_bytes\t%" PRIu64 "\n", snap.bytes);
  printf("max_size_bytes\t%" PRIu64 "\n", cfg->max_size);
  printf("entries\t%" PRIu64 "\n", snap.entries);
  return TOOL_OK;
}

/* The remote tier's numbers, when there is a remote or was one. */
static void show_remote(const oc_config *cfg, const uint64_t *v) {
  bool any = false;
  for (int i = OC_STAT_REMOTE_HITS; i <= OC_STAT_REMOTE_MANIFEST_WRITES; i++)
    any |= v[i] != 0;
  if (!cfg->remote[0] && !any)
    return;
  char shown[1024], down[32], up[32];
  oc_remote_url_redact(cfg->remote, shown, sizeof shown);
  tool_format_size(v[OC_STAT_REMOTE_BYTES_DOWN], down, sizeof down);
  tool_format_size(v[OC_STAT_REMOTE_BYTES_UP], up, sizeof up);
  printf("Remote            %s\n", shown[0] ? shown : "(none configured)");
  printf("  Hits            %" PRIu64 "\n", v[OC_STAT_REMOTE_HITS]);
  printf("  Misses          %" PRIu64 "  (%" PRIu64 " invalid values)\n",
         v[OC_STAT_REMOTE_MISSES], v[OC_STAT_REMOTE_CORRUPT]);
  printf("  Errors          %" PRIu64 "  (%" PRIu64
         " operations skipped while down)\n",
         v[OC_STAT_REMOTE_ERRORS], v[OC_STAT_REMOTE_SKIPPED]);
  printf("  Uploaded        %" PRIu64 " %s, %s\n", v[OC_STAT_REMOTE_WRITES],
         v[OC_STAT_REMOTE_WRITES] == 1 ? "entry" : "entries", up);
  printf("  Downloaded      %s\n", down);
  /* Direct mode's manifests; their bytes, faults and invalid values are
   * in the lines above. */
  printf("  Manifests       %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
         " uploaded\n",
         v[OC_STAT_REMOTE_MANIFEST_HITS], v[OC_STAT_REMOTE_MANIFEST_MISSES],
         v[OC_STAT_REMOTE_MANIFEST_WRITES]);
}

int tool_show_stats(const oc_config *cfg) {
  snapshot snap;
  int rc = read_snapshot(cfg, &snap);
  if (rc != TOOL_OK)
    return rc;
  const uint64_t *v = snap.stats.value;
  uint64_t hits = v[OC_STAT_HITS] + v[OC_STAT_DIRECT_HITS];
  uint64_t lookups = hits + v[OC_STAT_MISSES];
  char size[32], max[32], saved[32];
  tool_format_size(snap.bytes, size, sizeof size);
  tool_format_size(cfg->max_size, max, sizeof max);
  tool_format_duration(v[OC_STAT_TIME_SAVED_MS], saved, sizeof saved);

  printf("Cache directory   %s\n", cfg->cache_dir);
  printf("Hits              %" PRIu64 "  (%" PRIu64 " IR-level, %" PRIu64
         " direct)\n",
         hits, v[OC_STAT_HITS], v[OC_STAT_DIRECT_HITS]);
  printf("Misses            %" PRIu64 "\n", v[OC_STAT_MISSES]);
  uint64_t direct = v[OC_STAT_DIRECT_HITS] + v[OC_STAT_DIRECT_MISSES];
  if (direct) /* a direct miss goes on to an IR-level hit or a miss */
    printf("Direct lookups    %" PRIu64 "  (%" PRIu64 " hits, %" PRIu64
           " misses)\n",
           direct, v[OC_STAT_DIRECT_HITS], v[OC_STAT_DIRECT_MISSES]);
  if (v[OC_STAT_DIRECT_UNCACHEABLE])
    printf("Direct declined   %" PRIu64 "  (left to clang: outputs direct "
           "mode cannot name)\n",
           v[OC_STAT_DIRECT_UNCACHEABLE]);
  if (lookups)
    printf("Hit rate          %.1f %%\n",
           100.0 * (double)hits / (double)lookups);
  else
    printf("Hit rate          - (no cacheable compiles yet)\n");
  if (cfg->verify || v[OC_STAT_VERIFY_CHECKED] || v[OC_STAT_VERIFY_MISMATCHES])
    printf("Verified hits     %" PRIu64 "  (%" PRIu64 " mismatches)\n",
           v[OC_STAT_VERIFY_CHECKED] + v[OC_STAT_VERIFY_MISMATCHES],
           v[OC_STAT_VERIFY_MISMATCHES]);
  printf("Uncacheable       %" PRIu64 "\n", v[OC_STAT_UNCACHEABLE]);
  for (int i = OC_STAT_UNCACHEABLE + 1; i < OC_STAT_ERRORS; i++)
    if (v[i])
      printf("  %-31s %" PRIu64 "\n", reason_label((oc_stat)i), v[i]);
  printf("Errors            %" PRIu64 "\n", v[OC_STAT_ERRORS]);
  printf("Corrupt entries   %" PRIu64 "\n", v[OC_STAT_CORRUPT_ENTRIES]);
  printf("Evictions         %" PRIu64 "\n", v[OC_STAT_EVICTIONS]);
  printf("Cache size        %s of %s", size, max);
  if (cfg->max_size)
    printf(" (%.0f %%)", 100.0 * (double)snap.bytes / (double)cfg->max_size);
  printf(", %" PRIu64 " %s\n", snap.entries,
         snap.entries == 1 ? "entry" : "entries");
  printf("Time saved        %s\n", saved);
  show_remote(cfg, v);
  return TOOL_OK;
}

int tool_zero_stats(const oc_config *cfg) {
  oc_error err = {0};
  if (oc_stats_zero(cfg->cache_dir, &err) != OC_OK) {
    fprintf(stderr, "objcache: %s\n", err.message);
    return TOOL_FAILED;
  }
  printf("Statistics zeroed\n");
  return TOOL_OK;
}

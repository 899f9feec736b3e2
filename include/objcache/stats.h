/* objcache/stats.h - statistics counters that stay exact under parallel
 * compiles.
 *
 * Counters live in shard files under <cache_dir>/stats/; a compile adds its
 * deltas to one shard under a short lock, readers sum all shards. A shard
 * with garbage in it is reset and reported, never trusted. */
#ifndef OBJCACHE_STATS_H
#define OBJCACHE_STATS_H

#include "objcache/status.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum oc_stat {
  OC_STAT_HITS = 0,    /* IR-level hits: object served, optimizer skipped */
  OC_STAT_DIRECT_HITS, /* direct-mode hits: clang never started */
  OC_STAT_MISSES,      /* compiled and stored */
  OC_STAT_UNCACHEABLE, /* total of the uncacheable_* reasons below */
  OC_STAT_UNCACHEABLE_IR_INPUT,     /* LLVM IR or bitcode input */
  OC_STAT_UNCACHEABLE_OUTPUT_KIND,  /* not an object or assembly file */
  OC_STAT_UNCACHEABLE_SPLIT_DWARF,  /* no longer counted: .dwo is cached */
  OC_STAT_UNCACHEABLE_COVERAGE,     /* .gcno of an unusual layout */
  OC_STAT_UNCACHEABLE_BACKEND_DIAG, /* optimizer/backend emitted a diagnostic */
  OC_STAT_UNCACHEABLE_EXTRA_OUTPUT, /* time reports, thin-link bitcode, ... */
  OC_STAT_UNCACHEABLE_INLINE_ASM,   /* inline asm with directives that may
                                       read files (docs/key.md) */
  OC_STAT_UNCACHEABLE_SAVE_TEMPS,   /* -save-temps: intermediate files */
  OC_STAT_UNCACHEABLE_OTHER,
  OC_STAT_ERRORS,          /* cache faults that fell back to a normal compile */
  OC_STAT_CORRUPT_ENTRIES, /* entries that failed validation and were removed */
  OC_STAT_EVICTIONS,       /* entries removed to stay under max_size */
  OC_STAT_TIME_SAVED_MS,   /* sum of the compile times that hits avoided */
  OC_STAT_DIRECT_MISSES,   /* launcher lookups that found no matching
                              candidate; the compile then counts as an
                              IR-level hit or a miss */
  OC_STAT_DIRECT_UNCACHEABLE, /* compiles the launcher left to clang: outputs
                                 direct mode cannot name, or that the plugin
                                 reported otherwise than the launcher read
                                 them; they count as hits, misses or
                                 uncacheable as usual */
  /* The remote tier (remote.md). A remote hit is also one of `hits` or
   * `direct_hits`. Hits, misses and writes count objects; manifests have
   * their own three below. Corrupt values, errors, skips and bytes count
   * both kinds: they describe the remote, not what was asked of it. */
  OC_STAT_REMOTE_HITS,       /* local misses served from the remote */
  OC_STAT_REMOTE_MISSES,     /* asked the remote, it had nothing usable */
  OC_STAT_REMOTE_CORRUPT,    /* remote values that failed validation (misses) */
  OC_STAT_REMOTE_ERRORS,     /* connect, timeout or protocol failures */
  OC_STAT_REMOTE_SKIPPED,    /* operations skipped while the remote was down */
  OC_STAT_REMOTE_WRITES,     /* entries uploaded */
  OC_STAT_REMOTE_BYTES_DOWN, /* entry and manifest bytes fetched */
  OC_STAT_REMOTE_BYTES_UP,   /* entry and manifest bytes uploaded */
  OC_STAT_REMOTE_MANIFEST_HITS,   /* local manifest misses the remote served */
  OC_STAT_REMOTE_MANIFEST_MISSES, /* ... it had none usable */
  OC_STAT_REMOTE_MANIFEST_WRITES, /* manifests uploaded (after a merge) */
  /* Verify mode (store.md): sampled hits compiled afresh and compared.
   * Each is also one of `hits`. */
  OC_STAT_VERIFY_CHECKED,    /* the fresh output equalled the cached one */
  OC_STAT_VERIFY_MISMATCHES, /* it did not: fresh output served, entry
                                replaced */
  OC_STAT_COUNT
} oc_stat;

typedef struct oc_stats {
  uint64_t value[OC_STAT_COUNT];
} oc_stats;

/* Stable machine-readable name ("hits", "uncacheable_ir_input", ...). */
const char *oc_stat_name(oc_stat stat);

/* Adds every non-zero delta to one shard (pid % 16), atomically with
 * respect to other processes; creates the cache and stats directories when
 * missing. An all-zero delta does no I/O. Counters saturate at UINT64_MAX.
 * OC_CORRUPT means the delta WAS recorded but the shard held garbage and has
 * been reset (its previous counts are lost). */
oc_status oc_stats_add(const char *cache_dir, const oc_stats *delta,
                       oc_error *err);
/* Sums all shards into *out (always filled; missing shards count as zero).
 * A damaged shard is counted as zero and, after all others are summed,
 * reported as OC_CORRUPT naming the file; an unreadable one as OC_IO_ERROR.
 * With several problems the first is reported. */
oc_status oc_stats_read(const char *cache_dir, oc_stats *out, oc_error *err);
/* Parses the text of one stats file into *out; false when malformed. The
 * parser oc_stats_add and oc_stats_read use, for tests and fuzzers. */
bool oc_stats_parse(const void *data, size_t size, oc_stats *out);
oc_status oc_stats_zero(const char *cache_dir, oc_error *err);

/* Convenience: add `by` to one counter. */
oc_status oc_stats_bump(const char *cache_dir, oc_stat stat, uint64_t by,
                        oc_error *err);

#ifdef __cplusplus
}
#endif
#endif

/* objcache/session.h - what one compile reports: its stats delta, its
 * warnings, its log lines and its history record.
 *
 * The plugin (one session per translation unit) and the launcher's direct
 * mode (one per `objcache clang ...`) report their outcomes the same way
 * through a session:
 *   - the stats: every count of the compile, the store's remote traffic
 *     included, adds to one delta written once, by oc_session_close;
 *   - warnings: "objcache: warning: <message>" lines, one per distinct
 *     fault; a fault (oc_session_fault) also counts once in `errors`;
 *   - the log: one line per outcome (log.h) with the session's source and
 *     key and the time since the session opened;
 *   - the history: the factor record kept for --explain (history.h) and,
 *     for a miss, the miss log (misses.h), written by oc_session_close;
 *   - the store: one handle, opened on first use.
 * lib/ prints nothing itself: every line goes to the caller's printer. */
#ifndef OBJCACHE_SESSION_H
#define OBJCACHE_SESSION_H

#include "objcache/config.h"
#include "objcache/stats.h"
#include "objcache/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct oc_session oc_session;

/* Receives each warning line, "objcache: warning: ...\n" (with the
 * newline), to print on stderr. */
typedef void oc_session_printer(void *ctx, const char *line);

/* What a compile came to; each counts one counter and logs one line. */
typedef enum oc_outcome {
  OC_OUTCOME_HIT,                /* hits; "hit" */
  OC_OUTCOME_DIRECT_HIT,         /* direct_hits; "direct-hit" */
  OC_OUTCOME_MISS,               /* misses; "miss" */
  OC_OUTCOME_UNCACHEABLE,        /* uncacheable + its reason; "uncacheable" */
  OC_OUTCOME_ERROR,              /* errors; "error" */
  OC_OUTCOME_DIRECT_MISS,        /* direct_misses; "direct-miss" */
  OC_OUTCOME_DIRECT_UNCACHEABLE, /* direct_uncacheable; "direct-uncacheable" */
  OC_OUTCOME_DIRECT_UNRECORDED,  /* nothing; "direct-unrecorded" */
} oc_outcome;

/* Flags of oc_session_open. */
enum {
  /* Failures to write the stats and the log are not shown: the launcher
   * leaves an unusable cache to the plugin, which reports it once. */
  OC_SESSION_QUIET = 1u << 0,
};

/* Opens a session for one compile. cfg (loaded; it must outlive the
 * session) may be NULL when no configuration could be loaded: such a
 * session only prints. NULL when out of memory. */
oc_session *oc_session_open(const oc_config *cfg, unsigned flags,
                            oc_session_printer *print, void *print_ctx);
/* Releases the store, writes the stats delta (one locked update; nothing
 * when it is all zero), then the history record; frees the session. A
 * failure to write the stats is shown unless a line was shown already.
 * NULL does nothing. */
void oc_session_close(oc_session *s);

/* The source and key hex of the log line ("-" until set). */
void oc_session_set_source(oc_session *s, const char *source);
void oc_session_set_key(oc_session *s, const char *key_hex);

/* The store, opened on first use and kept until released or closed. */
oc_status oc_session_store(oc_session *s, oc_store **out, oc_error *err);
/* Closes the store now (the plugin does not keep a connection to the
 * remote through code generation): its stats join the delta and its
 * warning, if any, is reported as a fault. */
void oc_session_release_store(oc_session *s);
/* Reports the store's warning, if any, as a fault (once per text). */
void oc_session_report_store(oc_session *s);

/* Adds to the delta. */
void oc_session_count(oc_session *s, oc_stat stat, uint64_t by);
/* The delta so far (for tests and callers that need a count). */
const oc_stats *oc_session_delta(const oc_session *s);

/* A fault the compile survives: one warning line, one count in `errors`.
 * The same message again shows and counts nothing. true when shown. */
bool oc_session_fault(oc_session *s, const char *message);
/* A warning line not counted by itself (the outcome counts it, or it is
 * about reporting): shown once per text. */
void oc_session_warn(oc_session *s, const char *message);
/* Whether any warning line was shown. */
bool oc_session_warned(const oc_session *s);

/* Counts the outcome (with reason one of the uncacheable_* counters for
 * OC_OUTCOME_UNCACHEABLE, else ignored) and writes its log line with `why`
 * ("-" when NULL or empty) when a logfile is set. */
void oc_session_outcome(oc_session *s, oc_outcome outcome, oc_stat reason,
                        const char *why);
/* The log line's result name of an outcome. */
const char *oc_outcome_name(oc_outcome outcome);

/* The factor record to keep for output_path (absolute) at close; with
 * miss, the miss is explained against the previous record first. Copied;
 * a second call replaces the first. */
void oc_session_set_history(oc_session *s, const char *output_path,
                            const char *record, size_t len, bool miss);

#ifdef __cplusplus
}
#endif
#endif

/* session.c - one compile's reporting (session.h): a stats delta written
 * once at close, warning lines deduplicated by their text, log lines, the
 * history record and the store handle.
 *
 * Invariants: every count of the session goes into `delta` and reaches the
 * stats files in the single oc_stats_add of oc_session_close; a warning
 * text is shown (and, for a fault, counted) at most once per session. */
#include "objcache/session.h"

#include "objcache/hash.h"
#include "objcache/history.h"
#include "objcache/log.h"
#include "objcache/misses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Distinct warnings remembered; a compile that shows more than this many
 * has bigger problems than a repeated line. */
#define SESSION_MAX_WARNINGS 16

struct oc_session {
  const oc_config *cfg; /* NULL: no cache to report to, only lines */
  unsigned flags;
  oc_session_printer *print;
  void *print_ctx;
  uint64_t started_ms;
  char *source, *key_hex; /* of the log lines; NULL: "-" */
  oc_store *store;
  oc_stats delta;
  oc_digest shown[SESSION_MAX_WARNINGS]; /* texts of the lines shown */
  size_t shown_count;
  bool warned;
  char *history_output; /* the pending history record, when set */
  char *history_record;
  size_t history_len;
  bool history_miss;
};

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

oc_session *oc_session_open(const oc_config *cfg, unsigned flags,
                            oc_session_printer *print, void *print_ctx) {
  oc_session *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->cfg = cfg;
  s->flags = flags;
  s->print = print;
  s->print_ctx = print_ctx;
  s->started_ms = now_ms();
  return s;
}

static void replace(char **field, const char *value) {
  free(*field);
  *field = value ? strdup(value) : NULL;
}

void oc_session_set_source(oc_session *s, const char *source) {
  replace(&s->source, source);
}

void oc_session_set_key(oc_session *s, const char *key_hex) {
  replace(&s->key_hex, key_hex);
}

/* Prints "objcache: warning: <message>" unless that text was shown. */
static bool show(oc_session *s, const char *message) {
  oc_digest text = oc_hash_bytes(message, strlen(message));
  for (size_t i = 0; i < s->shown_count; i++)
    if (oc_digest_equal(&s->shown[i], &text))
      return false;
  if (s->shown_count < SESSION_MAX_WARNINGS)
    s->shown[s->shown_count++] = text;
  s->warned = true;
  if (s->print) {
    size_t size = strlen(message) + 32;
    char *line = malloc(size);
    if (line) {
      snprintf(line, size, "objcache: warning: %s\n", message);
      s->print(s->print_ctx, line);
      free(line);
    }
  }
  return true;
}

bool oc_session_fault(oc_session *s, const char *message) {
  if (!show(s, message))
    return false;
  oc_session_count(s, OC_STAT_ERRORS, 1);
  return true;
}

void oc_session_warn(oc_session *s, const char *message) {
  (void)show(s, message);
}

bool oc_session_warned(const oc_session *s) { return s->warned; }

/* Reports a failure to write what the session reports ("cannot update
 * statistics: ..."): not counted, and (unless `always`) only as the first
 * line of a session, since after a fault the cache dir is likely
 * unwritable too; `quiet`: not at all under OC_SESSION_QUIET. */
static void reporting_failed(oc_session *s, const char *what,
                             const char *message, bool always, bool quiet) {
  if ((quiet && s->flags & OC_SESSION_QUIET) || (s->warned && !always))
    return;
  char line[OC_ERROR_MESSAGE_SIZE + 64];
  snprintf(line, sizeof line, "%s: %s", what, message);
  if (always) { /* shown without making later reporting failures quiet */
    bool warned = s->warned;
    (void)show(s, line);
    s->warned = warned;
  } else {
    (void)show(s, line);
  }
}

void oc_session_count(oc_session *s, oc_stat stat, uint64_t by) {
  if ((unsigned)stat >= OC_STAT_COUNT)
    return;
  uint64_t *v = &s->delta.value[stat];
  *v = *v > UINT64_MAX - by ? UINT64_MAX : *v + by;
}

const oc_stats *oc_session_delta(const oc_session *s) { return &s->delta; }

oc_status oc_session_store(oc_session *s, oc_store **out, oc_error *err) {
  if (!s->cfg)
    return oc_fail(err, OC_INVALID, "no configuration");
  if (!s->store) {
    oc_status status = oc_store_open(s->cfg, &s->store, err);
    if (status != OC_OK) {
      s->store = NULL;
      return status;
    }
  }
  *out = s->store;
  return OC_OK;
}

void oc_session_report_store(oc_session *s) {
  const char *warning = s->store ? oc_store_warning(s->store) : NULL;
  if (warning)
    (void)oc_session_fault(s, warning);
}

void oc_session_release_store(oc_session *s) {
  if (!s->store)
    return;
  oc_session_report_store(s);
  /* Its remote traffic joins the delta: one locked update, not two. */
  oc_store_take_stats(s->store, &s->delta);
  oc_store_close(s->store);
  s->store = NULL;
}

static const struct {
  const char *name;
  oc_stat counter; /* OC_STAT_COUNT: none */
} outcomes[] = {
    [OC_OUTCOME_HIT] = {"hit", OC_STAT_HITS},
    [OC_OUTCOME_DIRECT_HIT] = {"direct-hit", OC_STAT_DIRECT_HITS},
    [OC_OUTCOME_MISS] = {"miss", OC_STAT_MISSES},
    [OC_OUTCOME_UNCACHEABLE] = {"uncacheable", OC_STAT_UNCACHEABLE},
    [OC_OUTCOME_ERROR] = {"error", OC_STAT_ERRORS},
    [OC_OUTCOME_DIRECT_MISS] = {"direct-miss", OC_STAT_DIRECT_MISSES},
    [OC_OUTCOME_DIRECT_UNCACHEABLE] = {"direct-uncacheable",
                                       OC_STAT_DIRECT_UNCACHEABLE},
    [OC_OUTCOME_DIRECT_UNRECORDED] = {"direct-unrecorded", OC_STAT_COUNT},
};

const char *oc_outcome_name(oc_outcome outcome) {
  return (unsigned)outcome < sizeof outcomes / sizeof outcomes[0]
             ? outcomes[outcome].name
             : "none";
}

void oc_session_outcome(oc_session *s, oc_outcome outcome, oc_stat reason,
                        const char *why) {
  if ((unsigned)outcome >= sizeof outcomes / sizeof outcomes[0])
    return;
  oc_session_count(s, outcomes[outcome].counter, 1);
  if (outcome == OC_OUTCOME_UNCACHEABLE)
    oc_session_count(s, reason, 1);
  if (!s->cfg || !s->cfg->logfile[0])
    return;
  oc_error err;
  if (oc_log_compile(s->cfg, s->source ? s->source : "-",
                     s->key_hex ? s->key_hex : "-", outcomes[outcome].name,
                     why && *why ? why : "-", now_ms() - s->started_ms,
                     &err) != OC_OK)
    reporting_failed(s, "cannot write log", err.message, true, true);
}

void oc_session_set_history(oc_session *s, const char *output_path,
                            const char *record, size_t len, bool miss) {
  free(s->history_output);
  free(s->history_record);
  s->history_output = strdup(output_path);
  s->history_record = malloc(len ? len : 1);
  if (!s->history_output || !s->history_record) {
    free(s->history_output);
    free(s->history_record);
    s->history_output = s->history_record = NULL;
    return;
  }
  memcpy(s->history_record, record, len);
  s->history_len = len;
  s->history_miss = miss;
}

/* Always, not only with debug: --explain and --show-misses work after the
 * fact, for a cost measured in docs/bench.md (well under 1% of a cold
 * build). A miss is explained against the previous record first. */
static void write_history(oc_session *s) {
  oc_error err;
  if (s->history_miss &&
      oc_misses_note(s->cfg, s->history_output, s->history_record,
                     s->history_len, &err) != OC_OK)
    reporting_failed(s, "cannot log the miss", err.message, false, false);
  if (oc_history_record(s->cfg, s->history_output, s->history_record,
                        s->history_len, &err) != OC_OK)
    reporting_failed(s, "cannot record factors", err.message, false, false);
}

void oc_session_close(oc_session *s) {
  if (!s)
    return;
  oc_session_release_store(s);
  if (s->cfg) {
    oc_error err;
    /* A read_only cache is expected to be unwritable (a shared cache
     * others fill): its stats are best effort, never a warning on every
     * compile. */
    if (oc_stats_add(s->cfg->cache_dir, &s->delta, &err) != OC_OK &&
        !s->cfg->read_only)
      reporting_failed(s, "cannot update statistics", err.message, false, true);
    if (s->history_output)
      write_history(s);
  }
  free(s->source);
  free(s->key_hex);
  free(s->history_output);
  free(s->history_record);
  free(s);
}

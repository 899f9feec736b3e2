/* misses_cmd.c - `objcache --show-misses [--format=json]`: how many
 * compiles missed since the statistics were last zeroed, and why, grouped
 * by the factor that differed from the previous compile of the same
 * output, most frequent first (lib/compile/misses.c keeps the log). */
#include "objcache/misses.h"
#include "tool.h"

#include <inttypes.h>
#include <stdio.h>

static void show_json(const oc_miss_report *r) {
  printf("{\"misses\": %" PRIu64 ", \"truncated\": %s, \"reasons\": [",
         r->total, r->truncated ? "true" : "false");
  for (size_t i = 0; i < r->count; i++) {
    const oc_miss_group *g = &r->groups[i];
    printf("%s\n  {\"count\": %" PRIu64 ", \"kind\": ", i ? "," : "", g->count);
    tool_json_string(stdout, g->kind);
    printf(", \"reason\": ");
    tool_json_string(stdout, g->reason);
    printf(", \"example\": ");
    tool_json_string(stdout, g->example);
    putchar('}');
  }
  printf("%s]}\n", r->count ? "\n" : "");
}

static void show_text(const oc_miss_report *r) {
  printf("Misses since the statistics were zeroed: %" PRIu64 "\n", r->total);
  if (r->count)
    printf("By the factor that differed from the previous compile of the "
           "same output:\n");
  for (size_t i = 0; i < r->count; i++) {
    const oc_miss_group *g = &r->groups[i];
    printf("%8" PRIu64 "  %s\n          e.g. %s\n", g->count, g->reason,
           g->example);
  }
  if (r->truncated)
    printf("(the miss log is full: later misses are not listed; objcache -z "
           "empties it)\n");
}

int tool_show_misses(const oc_config *cfg, bool json) {
  oc_miss_report report;
  oc_error err = {0};
  if (oc_misses_read(cfg, &report, &err) != OC_OK) {
    fprintf(stderr, "objcache: %s\n", err.message);
    return TOOL_FAILED;
  }
  if (json)
    show_json(&report);
  else
    show_text(&report);
  oc_miss_report_free(&report);
  return TOOL_OK;
}

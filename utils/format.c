/* format.c - durations for people ("2 min 3.4 s"); sizes are lib's
 * oc_format_size (objcache/format.h). */
#include "tool.h"

#include <inttypes.h>
#include <stdio.h>

void tool_format_duration(uint64_t ms, char *out, size_t out_size) {
  uint64_t seconds = ms / 1000;
  if (seconds < 60)
    snprintf(out, out_size, "%.1f s", (double)ms / 1000);
  else if (seconds < 3600)
    snprintf(out, out_size, "%" PRIu64 " min %" PRIu64 " s", seconds / 60,
             seconds % 60);
  else
    snprintf(out, out_size, "%" PRIu64 " h %" PRIu64 " min", seconds / 3600,
             seconds / 60 % 60);
}

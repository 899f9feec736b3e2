/* format.c - numbers for people: sizes in binary units ("1.5 GiB", the
 * units objcache.conf accepts) and durations ("2 min 3.4 s"). */
#include "tool.h"

#include <inttypes.h>
#include <stdio.h>

void tool_format_size(uint64_t bytes, char *out, size_t out_size) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) {
    snprintf(out, out_size, "%" PRIu64 " B", bytes);
    return;
  }
  double value = (double)bytes / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < sizeof units / sizeof units[0]) {
    value /= 1024;
    unit++;
  }
  snprintf(out, out_size, "%.1f %s", value, units[unit]);
}

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

/* format.c - sizes for people in binary units ("1.5 GiB", the units
 * objcache.conf accepts): one spelling for the config display and the
 * command's reports. */
#include "objcache/format.h"

#include <inttypes.h>
#include <stdio.h>

void oc_format_size(uint64_t bytes, char *out, size_t out_size) {
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

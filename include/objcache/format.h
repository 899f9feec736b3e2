/* objcache/format.h - numbers for people, the same wherever objcache shows
 * them (`--show-config`, `--show-stats`, `--cleanup`). */
#ifndef OBJCACHE_FORMAT_H
#define OBJCACHE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "512 B", else one decimal in the largest binary unit below the value
 * ("1.5 GiB"): the units objcache.conf accepts. */
void oc_format_size(uint64_t bytes, char *out, size_t out_size);

#ifdef __cplusplus
}
#endif

#endif

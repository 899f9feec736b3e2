/* remote_get.c - the store's own cost of a remote hit, without clang:
 * times oc_store_open + oc_store_get + oc_store_close (and the stats update
 * a compile makes) per object for a local hit, a remote hit with its copy
 * into the local store, and a remote hit under remote_only. Built and run by
 * remote.sh: remote_get URL WORKDIR [OBJECTS]. */
#include "objcache/stats.h"
#include "objcache/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static oc_config config(const char *url, const char *dir) {
  oc_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.compression_level = 1;
  cfg.umask = -1;
  cfg.remote_connect_timeout_ms = 100;
  cfg.remote_timeout_ms = 1000;
  snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s", dir);
  snprintf(cfg.remote, sizeof cfg.remote, "%s", url);
  return cfg;
}

/* Per-object milliseconds of n lookups as the plugin makes them. */
static double time_gets(const oc_config *cfg, int n, int *hits) {
  oc_buffer object = {0};
  *hits = 0;
  double start = now_ms();
  for (int i = 0; i < n; i++) {
    oc_store *store;
    if (oc_store_open(cfg, &store, NULL) != OC_OK)
      continue;
    oc_digest key = oc_hash_bytes(&i, sizeof i);
    if (oc_store_get(store, &key, &object, NULL, NULL) == OC_OK)
      (*hits)++;
    oc_store_close(store);
    oc_stats_bump(cfg->cache_dir, OC_STAT_HITS, 1, NULL);
  }
  oc_buffer_free(&object);
  return (now_ms() - start) / n;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: remote_get URL WORKDIR [OBJECTS]\n");
    return 2;
  }
  int n = argc > 3 ? atoi(argv[3]) : 200;
  char dir[4][4096];
  const char *names[4] = {"warm", "local", "cold", "remote-only"};
  for (int i = 0; i < 4; i++)
    snprintf(dir[i], sizeof dir[i], "%s/%s", argv[2], names[i]);

  /* A 40 KB object of mixed bytes, about a small translation unit's. */
  static char object[40000];
  for (size_t i = 0; i < sizeof object; i++)
    object[i] = (char)((i * 7919) % 251);
  oc_config warm = config(argv[1], dir[0]);
  for (int i = 0; i < n; i++) {
    oc_store *store;
    if (oc_store_open(&warm, &store, NULL) != OC_OK)
      return 1;
    oc_digest key = oc_hash_bytes(&i, sizeof i);
    memcpy(object, &i, sizeof i);
    oc_store_put(store, &key, object, sizeof object, NULL, NULL);
    oc_store_close(store);
  }
  /* The cold dir is a used cache that lacks these objects: every shard
   * directory exists already (one unrelated entry each). */
  oc_config used = config("", dir[2]);
  for (int shard = 0; shard < 256; shard++) {
    oc_store *store;
    if (oc_store_open(&used, &store, NULL) != OC_OK)
      return 1;
    oc_digest key = oc_hash_bytes(&shard, sizeof shard);
    key.bytes[0] = (uint8_t)shard;
    oc_store_put(store, &key, "x", 1, NULL, NULL);
    oc_store_close(store);
  }
  oc_config local = config("", dir[0]);
  oc_config cold = config(argv[1], dir[2]);
  oc_config only = config(argv[1], dir[3]);
  only.remote_only = true;
  int hits[3];
  double ms[3] = {time_gets(&local, n, &hits[0]), time_gets(&cold, n, &hits[1]),
                  time_gets(&only, n, &hits[2])};
  printf("in the store (%d objects of %zu bytes):\n", n, sizeof object);
  printf("  local hit                    %.3f ms per object\n", ms[0]);
  printf("  remote hit, kept locally     %.3f ms per object (+%.3f)\n", ms[1],
         ms[1] - ms[0]);
  printf("  remote hit, remote_only      %.3f ms per object (+%.3f)\n", ms[2],
         ms[2] - ms[0]);
  return hits[0] == n && hits[1] == n && hits[2] == n ? 0 : 1;
}

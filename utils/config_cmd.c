/* config_cmd.c - `objcache -p` (every setting, its value and its origin;
 * the remote URL without its password) and `objcache -M SIZE` (max_size
 * written to objcache.conf). */
#include "tool.h"

#include <stdio.h>

/* Where a value came from, in the words of the files a person would edit:
 * the conf file by name, the environment by the variable. */
static void origin(const oc_config *cfg, oc_config_key key, char *out,
                   size_t size) {
  switch (cfg->source[key]) {
  case OC_SOURCE_FILE:
    snprintf(out, size, "objcache.conf");
    return;
  case OC_SOURCE_ENV:
    snprintf(out, size, "environment: %s", oc_config_env_name(key));
    return;
  case OC_SOURCE_DEFAULT:
    break;
  }
  snprintf(out, size, "default");
}

int tool_show_config(const oc_config *cfg) {
  for (int k = 0; k < OC_CONFIG_KEY_COUNT; k++) {
    char value[PATH_MAX + 64], from[64];
    oc_config_format_value(cfg, (oc_config_key)k, value, sizeof value);
    origin(cfg, (oc_config_key)k, from, sizeof from);
    printf("%-22s = %-24s (%s)\n", oc_config_key_name((oc_config_key)k), value,
           from);
  }
  return TOOL_OK;
}

int tool_set_max_size(const oc_config *cfg, const char *size) {
  oc_error err = {0};
  oc_status status = oc_config_set_in_file(cfg, OC_CONFIG_MAX_SIZE, size, &err);
  if (status != OC_OK) {
    fprintf(stderr, "objcache: %s\n", err.message);
    return status == OC_BAD_CONFIG ? TOOL_USAGE : TOOL_FAILED;
  }
  uint64_t bytes = 0;
  oc_parse_size(size, &bytes); /* main.c checked it already */
  char text[32];
  oc_format_size(bytes, text, sizeof text);
  printf("Set cache size limit to %s in %s/objcache.conf\n", text,
         cfg->cache_dir);
  if (cfg->source[OC_CONFIG_MAX_SIZE] == OC_SOURCE_ENV)
    fprintf(stderr,
            "objcache: note: %s is set in the environment and takes "
            "precedence over objcache.conf\n",
            oc_config_env_name(OC_CONFIG_MAX_SIZE));
  return TOOL_OK;
}

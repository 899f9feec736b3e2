/* entry_tool.c - oc-entry-tool, a test helper for entries in a cache dir.
 *
 *   oc-entry-tool list ENTRY         prints each output: name, size or
 *                                     "absent"
 *   oc-entry-tool drop ENTRY NAME    rewrites ENTRY (same key and metadata)
 *                                     without the output NAME
 *   oc-entry-tool set ENTRY NAME FILE rewrites ENTRY with FILE's bytes as
 *                                     its output NAME (a forged entry)
 *
 * Used by the lit tests to prove that an entry lacking a side output its
 * compile writes is a counted miss, never a partial hit. */
#include "objcache/entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_all(const char *path, oc_buffer *out) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    oc_buffer_append(out, chunk, n);
  fclose(f);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3 || (strcmp(argv[1], "drop") == 0 && argc != 4) ||
      (strcmp(argv[1], "set") == 0 && argc != 5)) {
    fprintf(stderr, "usage: oc-entry-tool list ENTRY | drop ENTRY NAME | "
                    "set ENTRY NAME FILE\n");
    return 2;
  }
  oc_buffer raw = {0};
  if (read_all(argv[2], &raw) != 0) {
    perror(argv[2]);
    return 1;
  }
  oc_entry_contents contents = {0};
  oc_entry_meta meta;
  oc_error err;
  if (oc_entry_decode_outputs(raw.data, raw.size, NULL, &contents, &meta,
                              &err) != OC_OK) {
    fprintf(stderr, "%s: %s\n", argv[2], err.message);
    return 1;
  }
  if (strcmp(argv[1], "list") == 0) {
    for (size_t i = 0; i < contents.count; i++) {
      const oc_entry_output *o = &contents.outputs[i];
      if (o->absent)
        printf("%s absent\n", o->name);
      else
        printf("%s %zu\n", o->name, o->size);
    }
    return 0;
  }
  oc_entry_output kept[OC_ENTRY_MAX_OUTPUTS];
  size_t n = 0;
  bool set = strcmp(argv[1], "set") == 0;
  oc_buffer forged = {0};
  if (set && read_all(argv[4], &forged) != 0) {
    perror(argv[4]);
    return 1;
  }
  bool found = false;
  for (size_t i = 0; i < contents.count; i++) {
    if (strcmp(contents.outputs[i].name, argv[3]) != 0)
      kept[n++] = contents.outputs[i];
    else if ((found = true) && set)
      oc_entry_output_set(&kept[n++], argv[3], forged.data, forged.size, false,
                          NULL);
  }
  oc_digest key;
  memcpy(key.bytes, raw.data + 16, OC_DIGEST_SIZE); /* entry.h layout */
  oc_buffer out = {0};
  if (!found ||
      oc_entry_encode_outputs(&key, kept, n, &meta, 1, &out, &err) != OC_OK) {
    fprintf(stderr, "cannot %s %s\n", argv[1], argv[3]);
    return 1;
  }
  FILE *f = fopen(argv[2], "wb");
  if (!f || fwrite(out.data, 1, out.size, f) != out.size || fclose(f) != 0) {
    perror(argv[2]);
    return 1;
  }
  return 0;
}

/* key.c - the factor-list key builder of key.h.
 *
 * Each entry is hashed as (len, factor, len, name, len, value) so that no
 * two different entry lists can produce the same byte stream. The record is
 * built from the very same arguments, so it cannot disagree with the hash. */
#include "objcache/key.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct oc_key_builder {
  oc_hasher hasher;
  bool keep_record;
  oc_buffer record; /* kept NUL-terminated past size */
};

oc_key_builder *oc_key_builder_new(bool keep_record) {
  oc_key_builder *builder = calloc(1, sizeof *builder);
  if (!builder)
    return NULL;
  oc_hasher_init(&builder->hasher);
  builder->keep_record = keep_record;
  return builder;
}

void oc_key_builder_free(oc_key_builder *builder) {
  if (!builder)
    return;
  oc_buffer_free(&builder->record);
  free(builder);
}

static void hash_field(oc_hasher *hasher, const void *data, size_t len) {
  uint8_t prefix[8];
  for (int i = 0; i < 8; i++)
    prefix[i] = (uint8_t)((uint64_t)len >> (8 * i));
  oc_hasher_update(hasher, prefix, sizeof prefix);
  oc_hasher_update(hasher, data, len);
}

static oc_status append_escaped(oc_buffer *out, const uint8_t *data,
                                size_t len) {
  oc_status status = OC_OK;
  size_t plain = 0; /* start of the pending run that needs no escaping */
  for (size_t i = 0; i < len && status == OC_OK; i++) {
    uint8_t c = data[i];
    if (c >= 0x20 && c != 0x7f && c != '\\')
      continue;
    status = oc_buffer_append(out, data + plain, i - plain);
    char escape[5];
    if (c == '\\')
      memcpy(escape, "\\\\", 3);
    else if (c == '\t')
      memcpy(escape, "\\t", 3);
    else if (c == '\n')
      memcpy(escape, "\\n", 3);
    else
      snprintf(escape, sizeof escape, "\\x%02x", c);
    if (status == OC_OK)
      status = oc_buffer_append(out, escape, strlen(escape));
    plain = i + 1;
  }
  if (status == OC_OK)
    status = oc_buffer_append(out, data + plain, len - plain);
  return status;
}

oc_status oc_key_add(oc_key_builder *builder, const char *factor,
                     const char *name, const void *value, size_t len) {
  hash_field(&builder->hasher, factor, strlen(factor));
  hash_field(&builder->hasher, name, strlen(name));
  hash_field(&builder->hasher, value, len);
  if (!builder->keep_record)
    return OC_OK;
  oc_buffer *rec = &builder->record;
  oc_status status = append_escaped(rec, (const uint8_t *)factor,
                                    strlen(factor));
  if (status == OC_OK)
    status = oc_buffer_append(rec, "\t", 1);
  if (status == OC_OK)
    status = append_escaped(rec, (const uint8_t *)name, strlen(name));
  if (status == OC_OK)
    status = oc_buffer_append(rec, "\t", 1);
  if (status == OC_OK)
    status = append_escaped(rec, value, len);
  if (status == OC_OK)
    status = oc_buffer_append(rec, "\n", 2); /* newline plus terminator */
  if (status == OC_OK)
    rec->size--; /* the terminator stays just past the end */
  return status;
}

oc_status oc_key_add_str(oc_key_builder *builder, const char *factor,
                         const char *name, const char *value) {
  return oc_key_add(builder, factor, name, value, strlen(value));
}

oc_status oc_key_add_u64(oc_key_builder *builder, const char *factor,
                         const char *name, uint64_t value) {
  char text[24];
  int len = snprintf(text, sizeof text, "%" PRIu64, value);
  return oc_key_add(builder, factor, name, text, (size_t)len);
}

oc_digest oc_key_digest(const oc_key_builder *builder) {
  oc_hasher copy = builder->hasher;
  return oc_hasher_final(&copy);
}

const char *oc_key_record(const oc_key_builder *builder, size_t *len) {
  if (!builder->keep_record)
    return NULL;
  if (len)
    *len = builder->record.size;
  return builder->record.data ? (const char *)builder->record.data : "";
}

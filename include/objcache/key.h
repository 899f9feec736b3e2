/* objcache/key.h - the cache key as a list of named factors.
 *
 * A key is built from entries (factor, name, value): the factor is the group
 * ("invocation", "llvm-option", "target", ...), the name says which setting
 * inside the group, the value is its printed value. The same calls feed both
 * the digest and, when asked for, a human-readable factor record, so the
 * record can never drift from what was hashed.
 *
 * Record format: one line per entry, "factor\tname\tvalue\n". In name and
 * value, backslash, tab, newline and other control bytes are escaped as
 * "\\\\", "\\t", "\\n" and "\\xHH". Entries appear in the order they were
 * added; a factor may repeat a name (for example one entry per argument). */
#ifndef OBJCACHE_KEY_H
#define OBJCACHE_KEY_H

#include "objcache/buffer.h"
#include "objcache/hash.h"
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever the meaning of any factor changes, so that old entries
 * can never be served under a new interpretation. */
#define OC_KEY_SCHEME_VERSION 2

typedef struct oc_key_builder oc_key_builder;

/* keep_record: also build the factor record (costs a copy of every value). */
oc_key_builder *oc_key_builder_new(bool keep_record);
void oc_key_builder_free(oc_key_builder *builder);

/* Adds one entry. Values are hashed with their lengths, so ("ab","c") and
 * ("a","bc") never collide. */
oc_status oc_key_add(oc_key_builder *builder, const char *factor,
                     const char *name, const void *value, size_t len);
oc_status oc_key_add_str(oc_key_builder *builder, const char *factor,
                         const char *name, const char *value);
oc_status oc_key_add_u64(oc_key_builder *builder, const char *factor,
                         const char *name, uint64_t value);

/* The digest of everything added so far; the builder stays usable. */
oc_digest oc_key_digest(const oc_key_builder *builder);

/* The record so far (NUL-terminated), or NULL without keep_record. */
const char *oc_key_record(const oc_key_builder *builder, size_t *len);

#ifdef __cplusplus
}
#endif
#endif

/* objcache/entry.h - the on-disk (and on-wire) format of one cache entry.
 *
 * Layout, all integers little-endian:
 *   magic "OCOBJ\0\0\1" (8) | format version u32 | header size u32 |
 *   key (32) | compression method u32 | compression level i32 |
 *   uncompressed size u64 | compressed size u64 |
 *   BLAKE2b-256 of the uncompressed content (32) |
 *   created unix time u64 | compile time ms u64 |
 *   payload (compressed size bytes)
 * A reader checks every field and size before using it, and the content
 * checksum after decompressing. */
#ifndef OBJCACHE_ENTRY_H
#define OBJCACHE_ENTRY_H

#include "objcache/buffer.h"
#include "objcache/hash.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Upper bound on an object we store or accept: 4 GiB. */
#define OC_ENTRY_MAX_CONTENT ((uint64_t)4 << 30)

/* Constants of the layout above (format version 1). */
#define OC_ENTRY_MAGIC "OCOBJ\0\0\1"
#define OC_ENTRY_MAGIC_SIZE 8
#define OC_ENTRY_FORMAT_VERSION 1
#define OC_ENTRY_HEADER_SIZE 120 /* everything before the payload */
#define OC_ENTRY_COMPRESSION_ZSTD 1 /* the only method: one zstd frame */

typedef struct oc_entry_meta {
  uint64_t created_unix;    /* when the entry was made */
  uint64_t compile_time_ms; /* what a hit on this entry saves */
} oc_entry_meta;

/* Encodes content under key into out (appended). compression_level is a
 * zstd level (ZSTD_minCLevel()..ZSTD_maxCLevel(), 0 = zstd's default);
 * OC_INVALID for a level out of range or content over OC_ENTRY_MAX_CONTENT.
 * meta may be NULL (both fields 0). */
oc_status oc_entry_encode(const oc_digest *key, const void *content,
                          size_t size, const oc_entry_meta *meta,
                          int compression_level, oc_buffer *out,
                          oc_error *err);

/* Decompression bounds (issue 18): content up to OC_ENTRY_RATIO_FLOOR is
 * always accepted; bigger content must come from at most
 * OC_ENTRY_MAX_RATIO times fewer compressed bytes. A 32 KiB run of zstd RLE
 * blocks claiming 4 GiB is refused before any output room is allocated;
 * the encoder refuses such content too, so a valid entry is never one the
 * decoder would refuse. */
#define OC_ENTRY_RATIO_FLOOR ((uint64_t)64 << 20)
#define OC_ENTRY_MAX_RATIO 1024

/* OC_OK when usize bytes of content from csize compressed bytes are within
 * max_content and the ratio bound above; OC_CORRUPT saying which not. */
oc_status oc_entry_check_expansion(uint64_t csize, uint64_t usize,
                                   uint64_t max_content, oc_error *err);

/* oc_entry_decode with a smaller limit on the content (the store passes
 * the max_object_size setting): an entry claiming more is OC_CORRUPT
 * before anything is decompressed. */
oc_status oc_entry_decode_limited(const void *data, size_t size,
                                  const oc_digest *expected_key,
                                  uint64_t max_content, oc_buffer *content,
                                  oc_entry_meta *meta, oc_error *err);

/* Validates and decodes. expected_key may be NULL (any key accepted).
 * OC_CORRUPT for anything malformed, with a message saying what. The content
 * is appended to `content`; on failure `content` keeps its previous size.
 * meta may be NULL; it is written only on success. Sizes claimed in the
 * header never drive allocation beyond max(16 MiB, 256 x the payload size):
 * past that, memory grows only with the bytes zstd actually produces. */
oc_status oc_entry_decode(const void *data, size_t size,
                          const oc_digest *expected_key, oc_buffer *content,
                          oc_entry_meta *meta, oc_error *err);

#ifdef __cplusplus
}
#endif
#endif

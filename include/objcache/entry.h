/* objcache/entry.h - the on-disk (and on-wire) format of one cache entry.
 *
 * An entry holds every output of one compile under its key: the object and
 * any side outputs (split DWARF .dwo, coverage notes .gcno, stack usage .su,
 * optimization records), each a named output compressed on its own and
 * checksummed on its own. Layout (format version 2), integers little-endian:
 *   magic "OCOBJ\0\0\1" (8) | format version u32 | header size u32 |
 *   key (32) | created unix time u64 | compile time ms u64 |
 *   output count u32 | output record size u32 |
 *   BLAKE2b-256 of the output table (32) |
 *   output table: count records of
 *     name (16, NUL-padded) | flags u32 | compression method u32 |
 *     compression level i32 | reserved u32 (0) | uncompressed size u64 |
 *     compressed size u64 | BLAKE2b-256 of the uncompressed output (32)
 *   payloads: the outputs' zstd frames, in table order, back to back.
 * A reader checks every field and size before using it, the table checksum,
 * and each output's checksum after decompressing it. An entry of format
 * version 1 (a single object) decodes as OC_NOT_FOUND: a plain miss. */
#ifndef OBJCACHE_ENTRY_H
#define OBJCACHE_ENTRY_H

#include "objcache/buffer.h"
#include "objcache/hash.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Upper bound on an output we store or accept, and on the sum of all the
 * outputs of one entry: 4 GiB. */
#define OC_ENTRY_MAX_CONTENT ((uint64_t)4 << 30)

/* Constants of the layout above (format version 2). */
#define OC_ENTRY_MAGIC "OCOBJ\0\0\1"
#define OC_ENTRY_MAGIC_SIZE 8
#define OC_ENTRY_FORMAT_VERSION 2
#define OC_ENTRY_HEADER_SIZE 104    /* everything before the output table */
#define OC_ENTRY_RECORD_SIZE 80     /* one output's record in the table */
#define OC_ENTRY_COMPRESSION_ZSTD 1 /* the only method: one zstd frame */
/* At most this many outputs per entry (object + side outputs). */
#define OC_ENTRY_MAX_OUTPUTS 8
/* An output name: 1 to 15 characters of [a-z0-9._-], NUL-terminated. */
#define OC_ENTRY_NAME_SIZE 16
/* Record flag: the compile did not write this output at all (e.g. no .su
 * file for a translation unit without functions). Its sizes are 0. */
#define OC_ENTRY_OUTPUT_ABSENT 1u

/* The name of the main output (object, assembly or bitcode). */
#define OC_ENTRY_OBJECT "object"

typedef struct oc_entry_meta {
  uint64_t created_unix;    /* when the entry was made */
  uint64_t compile_time_ms; /* what a hit on this entry saves */
} oc_entry_meta;

/* One named output. For encoding, data/size are the caller's bytes; after
 * decoding they point into the oc_entry_contents' storage. */
typedef struct oc_entry_output {
  char name[OC_ENTRY_NAME_SIZE];
  bool absent; /* the compile wrote no such file (size is 0) */
  const uint8_t *data;
  size_t size;
} oc_entry_output;

/* What a decoder hands back. A zero-initialised one is empty and valid. */
typedef struct oc_entry_contents {
  oc_entry_output outputs[OC_ENTRY_MAX_OUTPUTS]; /* in table order */
  size_t count;
  oc_buffer storage; /* owns the bytes the outputs point into */
} oc_entry_contents;

/* Sets up an output to encode; OC_INVALID for a bad name. */
oc_status oc_entry_output_set(oc_entry_output *output, const char *name,
                              const void *data, size_t size, bool absent,
                              oc_error *err);

/* Encodes the outputs (1..OC_ENTRY_MAX_OUTPUTS, unique valid names) under
 * key into out (appended). compression_level is a zstd level
 * (ZSTD_minCLevel()..ZSTD_maxCLevel(), 0 = zstd's default); OC_INVALID for
 * a level out of range, a bad name or count, or outputs over
 * OC_ENTRY_MAX_CONTENT. meta may be NULL (both fields 0). */
oc_status oc_entry_encode_outputs(const oc_digest *key,
                                  const oc_entry_output *outputs, size_t count,
                                  const oc_entry_meta *meta,
                                  int compression_level, oc_buffer *out,
                                  oc_error *err);

/* Validates and decodes every output into *out (its previous contents are
 * replaced; on failure it is left empty). expected_key may be NULL (any key
 * accepted). OC_CORRUPT for anything malformed, with a message saying
 * what; OC_NOT_FOUND for a well-formed entry of the older format 1. meta
 * may be NULL; it is written only on success. Sizes claimed in the table
 * never drive allocation beyond max(16 MiB, 256 x the payload size): past
 * that, memory grows only with the bytes zstd actually produces. */
oc_status oc_entry_decode_outputs(const void *data, size_t size,
                                  const oc_digest *expected_key,
                                  oc_entry_contents *out, oc_entry_meta *meta,
                                  oc_error *err);

/* Decompression bounds (issue 18): an output up to OC_ENTRY_RATIO_FLOOR
 * is always accepted; a bigger one must come from at most
 * OC_ENTRY_MAX_RATIO times fewer compressed bytes. A 32 KiB run of zstd RLE
 * blocks claiming GiBs is refused from the table, before any output room
 * is allocated; the encoder refuses such outputs too, so a valid entry is
 * never one the decoder would refuse. */
#define OC_ENTRY_RATIO_FLOOR ((uint64_t)64 << 20)
#define OC_ENTRY_MAX_RATIO 1024

/* OC_OK when usize bytes of content from csize compressed bytes are within
 * max_content and the ratio bound above; OC_CORRUPT saying which not. */
oc_status oc_entry_check_expansion(uint64_t csize, uint64_t usize,
                                   uint64_t max_content, oc_error *err);

/* oc_entry_decode_outputs with a smaller limit on the outputs' total size
 * (the store passes the max_object_size setting): an entry claiming more
 * is OC_CORRUPT before anything is decompressed. */
oc_status oc_entry_decode_outputs_limited(const void *data, size_t size,
                                          const oc_digest *expected_key,
                                          uint64_t max_content,
                                          oc_entry_contents *out,
                                          oc_entry_meta *meta, oc_error *err);

/* The output called name, or NULL. */
const oc_entry_output *oc_entry_find(const oc_entry_contents *contents,
                                     const char *name);

/* OC_OK when every one of the n names is an output of contents (present or
 * recorded as absent); else OC_CORRUPT naming the first missing one. An
 * entry that lacks an output its compile must have written is damaged: a
 * caller never serves part of a compile's outputs. */
oc_status oc_entry_require(const oc_entry_contents *contents,
                           const char *const *names, size_t n, oc_error *err);

void oc_entry_contents_free(oc_entry_contents *contents);

/* Convenience for an entry with one output, OC_ENTRY_OBJECT. */
oc_status oc_entry_encode(const oc_digest *key, const void *content,
                          size_t size, const oc_entry_meta *meta,
                          int compression_level, oc_buffer *out,
                          oc_error *err);

/* Validates and decodes the whole entry (every output is checked) and
 * appends its OC_ENTRY_OBJECT output to `content` (OC_CORRUPT when it has
 * none); on failure `content` keeps its previous size. Other statuses and
 * bounds as oc_entry_decode_outputs. */
oc_status oc_entry_decode(const void *data, size_t size,
                          const oc_digest *expected_key, oc_buffer *content,
                          oc_entry_meta *meta, oc_error *err);

#ifdef __cplusplus
}
#endif
#endif

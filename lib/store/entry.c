/* entry.c - the self-checking entry format of entry.h: encoding (a zstd
 * frame and a BLAKE2b-256 checksum per named output) and a defensive decoder
 * that validates every header field, record and size before use and never
 * trusts a claimed size for an allocation. Every output goes through one
 * function, decompress(), which is where any bound on decompressed sizes
 * belongs. */
#include "objcache/entry.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <zstd.h>

/* Field offsets of format version 2 (see entry.h). */
enum {
  OFF_MAGIC = 0,
  OFF_VERSION = 8,
  OFF_HEADER_SIZE = 12,
  OFF_KEY = 16,
  OFF_CREATED = 48,
  OFF_COMPILE_MS = 56,
  OFF_COUNT = 64,
  OFF_RECORD_SIZE = 68,
  OFF_TABLE_SUM = 72,
  HEADER_END = 104,
  /* Within one output record. */
  REC_NAME = 0,
  REC_FLAGS = 16,
  REC_METHOD = 20,
  REC_LEVEL = 24,
  REC_RESERVED = 28,
  REC_USIZE = 32,
  REC_CSIZE = 40,
  REC_CHECKSUM = 48,
  RECORD_END = 80,
};
_Static_assert(HEADER_END == OC_ENTRY_HEADER_SIZE, "entry header layout");
_Static_assert(RECORD_END == OC_ENTRY_RECORD_SIZE, "entry record layout");
_Static_assert(sizeof(OC_ENTRY_MAGIC) - 1 == OC_ENTRY_MAGIC_SIZE, "magic");

/* Format version 1 held one object; it reads as a miss. */
#define OLD_FORMAT_VERSION 1

/* Without a trusted size, the decoder starts with at most this much output
 * room and grows it as zstd actually produces bytes. */
#define INITIAL_OUTPUT_LIMIT ((size_t)16 << 20)
#define PLAUSIBLE_RATIO 256

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static uint64_t get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* 1 to 15 characters of [a-z0-9._-]; the rest of the field NULs. */
static bool valid_name(const char *name, size_t field) {
  size_t n = 0;
  while (n < field && name[n])
    n++;
  if (n == 0 || n >= field)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  }
  for (size_t i = n; i < field; i++)
    if (name[i])
      return false;
  return true;
}

oc_status oc_entry_output_set(oc_entry_output *output, const char *name,
                              const void *data, size_t size, bool absent,
                              oc_error *err) {
  if (!output || !name || (size > 0 && !data) || (absent && size > 0))
    return oc_fail(err, OC_INVALID, "oc_entry_output_set: bad argument");
  memset(output, 0, sizeof *output);
  size_t n = strlen(name);
  if (n >= OC_ENTRY_NAME_SIZE)
    return oc_fail(err, OC_INVALID, "output name \"%.32s\" is too long", name);
  memcpy(output->name, name, n);
  if (!valid_name(output->name, OC_ENTRY_NAME_SIZE))
    return oc_fail(err, OC_INVALID, "bad output name \"%s\"", name);
  output->data = data;
  output->size = size;
  output->absent = absent;
  return OC_OK;
}

const oc_entry_output *oc_entry_find(const oc_entry_contents *contents,
                                     const char *name) {
  if (!contents || !name)
    return NULL;
  for (size_t i = 0; i < contents->count; i++)
    if (strncmp(contents->outputs[i].name, name, OC_ENTRY_NAME_SIZE) == 0)
      return &contents->outputs[i];
  return NULL;
}

oc_status oc_entry_require(const oc_entry_contents *contents,
                           const char *const *names, size_t n, oc_error *err) {
  for (size_t i = 0; i < n; i++)
    if (!oc_entry_find(contents, names[i]))
      return oc_fail(err, OC_CORRUPT, "entry has no output \"%s\"", names[i]);
  return OC_OK;
}

void oc_entry_contents_free(oc_entry_contents *contents) {
  if (!contents)
    return;
  oc_buffer_free(&contents->storage);
  memset(contents, 0, sizeof *contents);
}

/* Checks the outputs an encoder is given: count, names, sizes. */
static oc_status check_outputs(const oc_entry_output *outputs, size_t count,
                               oc_error *err) {
  if (count == 0 || count > OC_ENTRY_MAX_OUTPUTS)
    return oc_fail(err, OC_INVALID, "an entry holds 1 to %d outputs, not %zu",
                   OC_ENTRY_MAX_OUTPUTS, count);
  uint64_t total = 0;
  for (size_t i = 0; i < count; i++) {
    const oc_entry_output *o = &outputs[i];
    if (!valid_name(o->name, OC_ENTRY_NAME_SIZE))
      return oc_fail(err, OC_INVALID, "bad output name \"%.16s\"", o->name);
    for (size_t j = 0; j < i; j++)
      if (strcmp(outputs[j].name, o->name) == 0)
        return oc_fail(err, OC_INVALID, "output \"%s\" given twice", o->name);
    if ((o->size > 0 && !o->data) || (o->absent && o->size > 0))
      return oc_fail(err, OC_INVALID, "output \"%s\": bad data", o->name);
    if ((uint64_t)o->size > OC_ENTRY_MAX_CONTENT - total)
      return oc_fail(err, OC_INVALID,
                     "outputs of over %" PRIu64 " bytes in all are over the "
                     "limit",
                     OC_ENTRY_MAX_CONTENT);
    total += o->size;
  }
  return OC_OK;
}

oc_status oc_entry_encode_outputs(const oc_digest *key,
                                  const oc_entry_output *outputs, size_t count,
                                  const oc_entry_meta *meta,
                                  int compression_level, oc_buffer *out,
                                  oc_error *err) {
  if (!key || !out || (count > 0 && !outputs))
    return oc_fail(err, OC_INVALID, "oc_entry_encode_outputs: NULL argument");
  oc_status status = check_outputs(outputs, count, err);
  if (status != OC_OK)
    return status;
  if (compression_level < ZSTD_minCLevel() ||
      compression_level > ZSTD_maxCLevel())
    return oc_fail(err, OC_INVALID,
                   "compression level %d is out of zstd's range %d..%d",
                   compression_level, ZSTD_minCLevel(), ZSTD_maxCLevel());

  size_t table = count * RECORD_END;
  size_t room = HEADER_END + table;
  for (size_t i = 0; i < count; i++) {
    size_t bound = outputs[i].absent ? 0 : ZSTD_compressBound(outputs[i].size);
    if (ZSTD_isError(bound) || bound > SIZE_MAX - room)
      return oc_fail(err, OC_INVALID, "outputs too large to encode");
    room += bound;
  }
  size_t start = out->size;
  if (oc_buffer_reserve(out, room) != OC_OK)
    return oc_fail(err, OC_NO_MEMORY,
                   "out of memory encoding an entry of %zu bytes", room);
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  if (!cctx)
    return oc_fail(err, OC_NO_MEMORY, "out of memory creating a zstd context");

  uint8_t *header = out->data + start;
  uint8_t *payload = header + HEADER_END + table;
  size_t used = 0;
  for (size_t i = 0; i < count; i++) {
    const oc_entry_output *o = &outputs[i];
    uint8_t *rec = header + HEADER_END + i * RECORD_END;
    memset(rec, 0, RECORD_END);
    memcpy(rec + REC_NAME, o->name, strlen(o->name));
    size_t csize = 0;
    if (!o->absent) {
      const void *src = o->size ? (const void *)o->data : ""; /* never NULL */
      size_t left = room - (HEADER_END + table + used);
      csize = ZSTD_compressCCtx(cctx, payload + used, left, src, o->size,
                                compression_level);
      if (ZSTD_isError(csize)) {
        ZSTD_freeCCtx(cctx);
        return oc_fail(err, OC_INVALID, "zstd compression failed: %s",
                       ZSTD_getErrorName(csize));
      }
      /* What the decoder would refuse is not stored at all. */
      oc_error bound_err;
      if (oc_entry_check_expansion(csize, o->size, OC_ENTRY_MAX_CONTENT,
                                   &bound_err) != OC_OK) {
        ZSTD_freeCCtx(cctx);
        return oc_fail(err, OC_INVALID, "not cached: %s", bound_err.message);
      }
    }
    oc_digest checksum =
        oc_hash_bytes(o->size ? (const void *)o->data : "", o->size);
    put_u32(rec + REC_FLAGS, o->absent ? OC_ENTRY_OUTPUT_ABSENT : 0);
    put_u32(rec + REC_METHOD, OC_ENTRY_COMPRESSION_ZSTD);
    put_u32(rec + REC_LEVEL, (uint32_t)compression_level);
    put_u64(rec + REC_USIZE, (uint64_t)o->size);
    put_u64(rec + REC_CSIZE, (uint64_t)csize);
    memcpy(rec + REC_CHECKSUM, checksum.bytes, OC_DIGEST_SIZE);
    used += csize;
  }
  ZSTD_freeCCtx(cctx);

  oc_digest table_sum = oc_hash_bytes(header + HEADER_END, table);
  memcpy(header + OFF_MAGIC, OC_ENTRY_MAGIC, OC_ENTRY_MAGIC_SIZE);
  put_u32(header + OFF_VERSION, OC_ENTRY_FORMAT_VERSION);
  put_u32(header + OFF_HEADER_SIZE, HEADER_END);
  memcpy(header + OFF_KEY, key->bytes, OC_DIGEST_SIZE);
  put_u64(header + OFF_CREATED, meta ? meta->created_unix : 0);
  put_u64(header + OFF_COMPILE_MS, meta ? meta->compile_time_ms : 0);
  put_u32(header + OFF_COUNT, (uint32_t)count);
  put_u32(header + OFF_RECORD_SIZE, RECORD_END);
  memcpy(header + OFF_TABLE_SUM, table_sum.bytes, OC_DIGEST_SIZE);
  out->size = start + HEADER_END + table + used;
  return OC_OK;
}

oc_status oc_entry_encode(const oc_digest *key, const void *content,
                          size_t size, const oc_entry_meta *meta,
                          int compression_level, oc_buffer *out,
                          oc_error *err) {
  if (!key || !out || (size > 0 && !content))
    return oc_fail(err, OC_INVALID, "oc_entry_encode: NULL argument");
  if ((uint64_t)size > OC_ENTRY_MAX_CONTENT)
    return oc_fail(err, OC_INVALID,
                   "object of %zu bytes is over the limit of %" PRIu64 " bytes",
                   size, OC_ENTRY_MAX_CONTENT);
  oc_entry_output object;
  oc_status status =
      oc_entry_output_set(&object, OC_ENTRY_OBJECT, content, size, false, err);
  if (status != OC_OK)
    return status;
  return oc_entry_encode_outputs(key, &object, 1, meta, compression_level, out,
                                 err);
}

/* Decompresses exactly one zstd frame of `csize` bytes that must produce
 * exactly `usize` bytes, appending them to out. Output room grows with what
 * zstd really produces, so a lying header cannot make us allocate 4 GiB. */
static oc_status decompress(const uint8_t *src, size_t csize, size_t usize,
                            oc_buffer *out, oc_error *err) {
  unsigned long long frame_size = ZSTD_getFrameContentSize(src, csize);
  if (frame_size == ZSTD_CONTENTSIZE_ERROR)
    return oc_fail(err, OC_CORRUPT, "payload is not a zstd frame");
  if (frame_size != ZSTD_CONTENTSIZE_UNKNOWN && frame_size != usize)
    return oc_fail(err, OC_CORRUPT,
                   "zstd frame declares %llu bytes but the header %zu",
                   frame_size, usize);
  size_t frame_csize = ZSTD_findFrameCompressedSize(src, csize);
  if (ZSTD_isError(frame_csize))
    return oc_fail(err, OC_CORRUPT, "payload is not a valid zstd frame: %s",
                   ZSTD_getErrorName(frame_csize));
  if (frame_csize != csize)
    return oc_fail(err, OC_CORRUPT,
                   "zstd frame is %zu bytes but the payload %zu bytes",
                   frame_csize, csize);

  /* Trust the declared size for the first allocation only when it is
   * plausible (modest, or a compression ratio under 256); otherwise grow as
   * output appears. With room for everything zstd decodes in one pass. */
  size_t limit = INITIAL_OUTPUT_LIMIT;
  if (csize <= SIZE_MAX / PLAUSIBLE_RATIO && csize * PLAUSIBLE_RATIO > limit)
    limit = csize * PLAUSIBLE_RATIO;
  size_t room = usize < limit ? usize : limit;
  if (oc_buffer_reserve(out, room ? room : 1) != OC_OK)
    return oc_fail(err, OC_NO_MEMORY, "out of memory decompressing an entry");

  ZSTD_DCtx *dctx = ZSTD_createDCtx();
  if (!dctx)
    return oc_fail(err, OC_NO_MEMORY, "out of memory creating a zstd context");
  size_t start = out->size;
  size_t produced = 0;
  ZSTD_inBuffer in = {src, csize, 0};
  oc_status status = OC_OK;
  for (;;) {
    size_t avail = out->capacity - out->size;
    if (avail > usize - produced)
      avail = usize - produced;
    uint8_t spare;
    ZSTD_outBuffer o;
    if (avail > 0) {
      o = (ZSTD_outBuffer){out->data + out->size, avail, 0};
    } else {
      /* All declared bytes are out: one byte of room tells us whether the
       * frame would produce more than declared. */
      o = (ZSTD_outBuffer){&spare, 1, 0};
    }
    size_t ret = ZSTD_decompressStream(dctx, &o, &in);
    if (ZSTD_isError(ret)) {
      status = oc_fail(err, OC_CORRUPT, "zstd decompression failed: %s",
                       ZSTD_getErrorName(ret));
      break;
    }
    if (avail == 0 && o.pos > 0) {
      status = oc_fail(err, OC_CORRUPT,
                       "payload decompresses to more than the declared %zu "
                       "bytes",
                       usize);
      break;
    }
    out->size += o.pos;
    produced += o.pos;
    if (ret == 0) /* frame complete */
      break;
    if (in.pos == in.size && o.pos < o.size) {
      status = oc_fail(err, OC_CORRUPT, "zstd frame is truncated");
      break;
    }
    if (produced < usize && out->size == out->capacity) {
      size_t grow = out->capacity; /* doubling, capped at what is declared */
      if (grow > usize - produced)
        grow = usize - produced;
      if (oc_buffer_reserve(out, grow) != OC_OK) {
        status = oc_fail(err, OC_NO_MEMORY,
                         "out of memory decompressing an entry");
        break;
      }
    }
  }
  ZSTD_freeDCtx(dctx);
  if (status == OC_OK && produced != usize)
    status = oc_fail(err, OC_CORRUPT,
                     "payload decompresses to %zu bytes, header says %zu",
                     produced, usize);
  if (status != OC_OK)
    out->size = start;
  return status;
}

/* One record of the table, validated on its own. */
typedef struct {
  char name[OC_ENTRY_NAME_SIZE];
  bool absent;
  uint64_t usize, csize;
  const uint8_t *checksum;
} record;

static oc_status read_record(const uint8_t *rec, size_t index, record *r,
                             oc_error *err) {
  memcpy(r->name, rec + REC_NAME, OC_ENTRY_NAME_SIZE);
  if (!valid_name(r->name, OC_ENTRY_NAME_SIZE))
    return oc_fail(err, OC_CORRUPT, "output %zu has a bad name", index);
  uint32_t flags = get_u32(rec + REC_FLAGS);
  if (flags & ~OC_ENTRY_OUTPUT_ABSENT)
    return oc_fail(err, OC_CORRUPT, "output %s has unknown flags 0x%" PRIx32,
                   r->name, flags);
  r->absent = flags & OC_ENTRY_OUTPUT_ABSENT;
  uint32_t method = get_u32(rec + REC_METHOD);
  if (method != OC_ENTRY_COMPRESSION_ZSTD)
    return oc_fail(err, OC_CORRUPT,
                   "output %s: unknown compression method %" PRIu32
                   " (expected %d)",
                   r->name, method, OC_ENTRY_COMPRESSION_ZSTD);
  int32_t level = (int32_t)get_u32(rec + REC_LEVEL);
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
    return oc_fail(err, OC_CORRUPT,
                   "output %s: compression level %" PRId32
                   " is out of zstd's range",
                   r->name, level);
  if (get_u32(rec + REC_RESERVED) != 0)
    return oc_fail(err, OC_CORRUPT, "output %s: reserved field is not 0",
                   r->name);
  r->usize = get_u64(rec + REC_USIZE);
  if (r->usize > OC_ENTRY_MAX_CONTENT || r->usize > SIZE_MAX)
    return oc_fail(err, OC_CORRUPT,
                   "output %s: uncompressed size %" PRIu64
                   " is over the limit of %" PRIu64,
                   r->name, r->usize, OC_ENTRY_MAX_CONTENT);
  r->csize = get_u64(rec + REC_CSIZE);
  if (r->absent && (r->usize || r->csize))
    return oc_fail(err, OC_CORRUPT, "output %s is absent but has a size",
                   r->name);
  if (!r->absent && r->csize > ZSTD_compressBound((size_t)r->usize))
    return oc_fail(err, OC_CORRUPT,
                   "output %s: compressed size %" PRIu64
                   " is impossible for %" PRIu64 " bytes of content",
                   r->name, r->csize, r->usize);
  r->checksum = rec + REC_CHECKSUM;
  return OC_OK;
}

/* Validates magic, version and header fields; *count is the output count. */
static oc_status read_header(const uint8_t *p, size_t size,
                             const oc_digest *expected_key, size_t *count,
                             oc_error *err) {
  if (size < OC_ENTRY_MAGIC_SIZE ||
      memcmp(p + OFF_MAGIC, OC_ENTRY_MAGIC, OC_ENTRY_MAGIC_SIZE) != 0)
    return oc_fail(err, OC_CORRUPT, "bad magic: not an objcache entry");
  if (size >= OFF_VERSION + 4 && get_u32(p + OFF_VERSION) == OLD_FORMAT_VERSION)
    return oc_fail(err, OC_NOT_FOUND,
                   "entry of the older format %d (one object only)",
                   OLD_FORMAT_VERSION);
  if (size < HEADER_END)
    return oc_fail(err, OC_CORRUPT,
                   "truncated header: %zu bytes, need %d", size, HEADER_END);
  uint32_t version = get_u32(p + OFF_VERSION);
  if (version != OC_ENTRY_FORMAT_VERSION)
    return oc_fail(err, OC_CORRUPT,
                   "unsupported format version %" PRIu32 " (expected %d)",
                   version, OC_ENTRY_FORMAT_VERSION);
  uint32_t header_size = get_u32(p + OFF_HEADER_SIZE);
  if (header_size != HEADER_END)
    return oc_fail(err, OC_CORRUPT,
                   "header size %" PRIu32 " (expected %d)", header_size,
                   HEADER_END);
  if (expected_key &&
      memcmp(p + OFF_KEY, expected_key->bytes, OC_DIGEST_SIZE) != 0) {
    oc_digest key;
    memcpy(key.bytes, p + OFF_KEY, OC_DIGEST_SIZE);
    char want[OC_DIGEST_HEX_SIZE], got[OC_DIGEST_HEX_SIZE];
    oc_digest_to_hex(expected_key, want);
    oc_digest_to_hex(&key, got);
    return oc_fail(err, OC_CORRUPT, "key mismatch: entry is for %s, not %s",
                   got, want);
  }
  uint32_t n = get_u32(p + OFF_COUNT);
  if (n == 0 || n > OC_ENTRY_MAX_OUTPUTS)
    return oc_fail(err, OC_CORRUPT, "output count %" PRIu32 " (1 to %d)", n,
                   OC_ENTRY_MAX_OUTPUTS);
  uint32_t record_size = get_u32(p + OFF_RECORD_SIZE);
  if (record_size != RECORD_END)
    return oc_fail(err, OC_CORRUPT,
                   "output record size %" PRIu32 " (expected %d)", record_size,
                   RECORD_END);
  if (size - HEADER_END < (size_t)n * RECORD_END)
    return oc_fail(err, OC_CORRUPT,
                   "truncated output table: %zu bytes for %" PRIu32 " outputs",
                   size - HEADER_END, n);
  oc_digest sum = oc_hash_bytes(p + HEADER_END, (size_t)n * RECORD_END);
  if (memcmp(sum.bytes, p + OFF_TABLE_SUM, OC_DIGEST_SIZE) != 0)
    return oc_fail(err, OC_CORRUPT, "output table checksum mismatch");
  *count = n;
  return OC_OK;
}

oc_status oc_entry_check_expansion(uint64_t csize, uint64_t usize,
                                   uint64_t max_content, oc_error *err) {
  if (max_content > OC_ENTRY_MAX_CONTENT)
    max_content = OC_ENTRY_MAX_CONTENT;
  if (usize > max_content)
    return oc_fail(err, OC_CORRUPT,
                   "content of %" PRIu64 " bytes is over the limit of %" PRIu64
                   " bytes (max_object_size)",
                   usize, max_content);
  if (usize > OC_ENTRY_RATIO_FLOOR &&
      (csize == 0 || usize / csize >= OC_ENTRY_MAX_RATIO))
    return oc_fail(err, OC_CORRUPT,
                   "%" PRIu64 " compressed bytes claim %" PRIu64
                   " bytes of content, a ratio over %d: refused as a "
                   "decompression bomb",
                   csize, usize, OC_ENTRY_MAX_RATIO);
  return OC_OK;
}

oc_status oc_entry_decode_outputs(const void *data, size_t size,
                                  const oc_digest *expected_key,
                                  oc_entry_contents *out, oc_entry_meta *meta,
                                  oc_error *err) {
  return oc_entry_decode_outputs_limited(data, size, expected_key,
                                         OC_ENTRY_MAX_CONTENT, out, meta, err);
}

oc_status oc_entry_decode_outputs_limited(const void *data, size_t size,
                                          const oc_digest *expected_key,
                                          uint64_t max_content,
                                          oc_entry_contents *out,
                                          oc_entry_meta *meta, oc_error *err) {
  if ((!data && size > 0) || !out)
    return oc_fail(err, OC_INVALID, "oc_entry_decode_outputs: NULL argument");
  oc_entry_contents_free(out);
  const uint8_t *p = data;
  size_t count = 0;
  oc_status status = read_header(p, size, expected_key, &count, err);
  if (status != OC_OK)
    return status;

  /* Every record first: names unique, sizes that add up exactly to the
   * payload bytes present, before anything is decompressed. */
  record records[OC_ENTRY_MAX_OUTPUTS];
  size_t table_end = HEADER_END + count * RECORD_END;
  uint64_t payload = size - table_end, csum = 0, usum = 0;
  for (size_t i = 0; i < count; i++) {
    status = read_record(p + HEADER_END + i * RECORD_END, i, &records[i], err);
    if (status != OC_OK)
      return status;
    for (size_t j = 0; j < i; j++)
      if (strcmp(records[j].name, records[i].name) == 0)
        return oc_fail(err, OC_CORRUPT, "output %s appears twice",
                       records[i].name);
    if (records[i].csize > payload - csum)
      return oc_fail(err, OC_CORRUPT,
                     "compressed sizes exceed the %" PRIu64
                     " payload bytes present",
                     payload);
    csum += records[i].csize;
    if (records[i].usize > OC_ENTRY_MAX_CONTENT - usum)
      return oc_fail(err, OC_CORRUPT,
                     "outputs of over %" PRIu64 " bytes in all",
                     OC_ENTRY_MAX_CONTENT);
    usum += records[i].usize;
    /* Bounded before anything is decompressed: the outputs' total by
     * max_content (no ratio: UINT64_MAX compressed bytes), each output by
     * the ratio of its own sizes. */
    status = oc_entry_check_expansion(UINT64_MAX, usum, max_content, err);
    if (status == OC_OK)
      status = oc_entry_check_expansion(records[i].csize, records[i].usize,
                                        OC_ENTRY_MAX_CONTENT, err);
    if (status != OC_OK)
      return status;
  }
  if (csum != payload)
    return oc_fail(err, OC_CORRUPT,
                   "compressed sizes add up to %" PRIu64 " but %" PRIu64
                   " payload bytes present",
                   csum, payload);

  size_t offsets[OC_ENTRY_MAX_OUTPUTS];
  const uint8_t *frame = p + table_end;
  for (size_t i = 0; i < count; i++) {
    record *r = &records[i];
    offsets[i] = out->storage.size;
    if (!r->absent) {
      status = decompress(frame, (size_t)r->csize, (size_t)r->usize,
                          &out->storage, err);
      if (status == OC_OK) {
        oc_digest sum =
            oc_hash_bytes(out->storage.data ? out->storage.data + offsets[i]
                                            : (const uint8_t *)"",
                          (size_t)r->usize);
        if (memcmp(sum.bytes, r->checksum, OC_DIGEST_SIZE) != 0)
          status =
              oc_fail(err, OC_CORRUPT, "output %s: checksum mismatch", r->name);
      } else if (status == OC_CORRUPT) {
        char detail[OC_ERROR_MESSAGE_SIZE];
        snprintf(detail, sizeof detail, "%s", err ? err->message : "");
        status = oc_fail(err, OC_CORRUPT, "output %s: %.400s", r->name, detail);
      }
      if (status != OC_OK) {
        oc_entry_contents_free(out);
        return status;
      }
    }
    frame += r->csize;
  }
  /* The storage no longer moves: point the outputs into it. */
  for (size_t i = 0; i < count; i++) {
    oc_entry_output *o = &out->outputs[i];
    memcpy(o->name, records[i].name, OC_ENTRY_NAME_SIZE);
    o->absent = records[i].absent;
    o->size = (size_t)records[i].usize;
    o->data = o->size ? out->storage.data + offsets[i] : NULL;
  }
  out->count = count;
  if (meta) {
    meta->created_unix = get_u64(p + OFF_CREATED);
    meta->compile_time_ms = get_u64(p + OFF_COMPILE_MS);
  }
  return OC_OK;
}

oc_status oc_entry_decode(const void *data, size_t size,
                          const oc_digest *expected_key, oc_buffer *content,
                          oc_entry_meta *meta, oc_error *err) {
  if ((!data && size > 0) || !content)
    return oc_fail(err, OC_INVALID, "oc_entry_decode: NULL argument");
  oc_entry_contents contents = {0};
  oc_entry_meta got;
  oc_status status =
      oc_entry_decode_outputs(data, size, expected_key, &contents, &got, err);
  if (status != OC_OK)
    return status;
  const oc_entry_output *object = oc_entry_find(&contents, OC_ENTRY_OBJECT);
  if (!object || object->absent)
    status = oc_fail(err, OC_CORRUPT, "entry has no object");
  else if (oc_buffer_append(content,
                            object->size ? object->data : (const uint8_t *)"",
                            object->size) != OC_OK)
    status = oc_fail(err, OC_NO_MEMORY, "out of memory decoding an entry");
  oc_entry_contents_free(&contents);
  if (status == OC_OK && meta)
    *meta = got;
  return status;
}

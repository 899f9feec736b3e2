/* manifest.c - the direct-mode manifest format of manifest.h: encoding,
 * validating decoding, and adding a candidate (dedupe, bounded size).
 *
 * The decoder is the only code that reads manifest bytes from disk, so it
 * treats them as hostile: every length is checked against the bytes left
 * before it is used, every enumerated field against its values, and the
 * whole file against its trailing checksum. It never allocates more than
 * the input could describe. */
#include "objcache/manifest.h"
#include "objcache/replay.h"

#include <stdlib.h>
#include <string.h>

/* ---- encoding ------------------------------------------------------------ */

static oc_status put_u8(oc_buffer *out, uint8_t v) {
  return oc_buffer_append(out, &v, 1);
}

static oc_status put_u32(oc_buffer *out, uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  return oc_buffer_append(out, b, sizeof b);
}

static oc_status put_u64(oc_buffer *out, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  return oc_buffer_append(out, b, sizeof b);
}

static oc_status put_bytes(oc_buffer *out, const void *data, size_t len) {
  oc_status status = put_u32(out, (uint32_t)len);
  return status == OC_OK ? oc_buffer_append(out, data, len) : status;
}

/* A side output's name: 1 to 15 of [a-z0-9._-] (entry.h's output names). */
static bool valid_name(const char *name, size_t len) {
  if (len == 0 || len >= OC_MANIFEST_NAME_SIZE)
    return false;
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  }
  return true;
}

static oc_status check_candidate(const oc_manifest_candidate *c,
                                 oc_error *err) {
  if (c->file_count > OC_MANIFEST_MAX_FILES)
    return oc_fail(err, OC_INVALID, "manifest candidate has %zu files",
                   c->file_count);
  if (c->stderr_size > OC_MANIFEST_MAX_OUTPUT)
    return oc_fail(err, OC_INVALID, "manifest candidate output too large");
  if (c->dep_count > OC_MANIFEST_MAX_FILES ||
      (!c->has_depfile && (c->dep_count || c->dep_input_index)) ||
      c->dep_input_index > c->dep_count)
    return oc_fail(err, OC_INVALID, "bad manifest dependency list");
  for (size_t i = 0; i < c->dep_count; i++) {
    const oc_manifest_dep *d = &c->deps[i];
    if (d->file >= c->file_count ||
        c->files[d->file].kind != OC_MANIFEST_FILE_READ ||
        !oc_depfile_name_ok(d->name) || strlen(d->name) >= 4096)
      return oc_fail(err, OC_INVALID, "bad manifest dependency \"%s\"",
                     d->name ? d->name : "(null)");
  }
  if (c->output_count > OC_MANIFEST_MAX_SIDE_OUTPUTS)
    return oc_fail(err, OC_INVALID, "manifest candidate has %zu side outputs",
                   c->output_count);
  for (size_t i = 0; i < c->output_count; i++) {
    const char *path = c->outputs[i].path;
    size_t len = path ? strlen(path) : 0;
    if (!valid_name(c->outputs[i].name, strlen(c->outputs[i].name)) ||
        len < 2 || len >= 4096 || path[0] != '/')
      return oc_fail(err, OC_INVALID, "bad manifest side output");
  }
  for (size_t i = 0; i < c->file_count; i++) {
    const char *path = c->files[i].path;
    size_t len = path ? strlen(path) : 0;
    if (len < 1 || len >= 4096)
      return oc_fail(err, OC_INVALID, "manifest path \"%s\" is empty or long",
                     path ? path : "(null)");
    if (c->files[i].kind != OC_MANIFEST_FILE_READ &&
        c->files[i].kind != OC_MANIFEST_FILE_ABSENT &&
        c->files[i].kind != OC_MANIFEST_FILE_LOCATION)
      return oc_fail(err, OC_INVALID, "bad manifest file kind");
  }
  return OC_OK;
}

oc_status oc_manifest_encode(const oc_manifest *manifest, oc_buffer *out,
                             oc_error *err) {
  if (!manifest || !out)
    return oc_fail(err, OC_INVALID, "oc_manifest_encode: NULL argument");
  if (manifest->count > OC_MANIFEST_MAX_CANDIDATES)
    return oc_fail(err, OC_INVALID, "manifest has %zu candidates",
                   manifest->count);
  for (size_t i = 0; i < manifest->count; i++) {
    oc_status status = check_candidate(&manifest->candidates[i], err);
    if (status != OC_OK)
      return status;
  }
  size_t start = out->size;
  oc_status s =
      oc_buffer_append(out, OC_MANIFEST_MAGIC, OC_MANIFEST_MAGIC_SIZE);
  if (s == OC_OK)
    s = put_u32(out, OC_MANIFEST_FORMAT_VERSION);
  if (s == OC_OK)
    s = put_u32(out, (uint32_t)manifest->count);
  for (size_t i = 0; i < manifest->count && s == OC_OK; i++) {
    const oc_manifest_candidate *c = &manifest->candidates[i];
    s = oc_buffer_append(out, c->result_key.bytes, OC_DIGEST_SIZE);
    if (s == OC_OK)
      s = put_u64(out, c->created_unix);
    if (s == OC_OK)
      s = put_u32(out, (uint32_t)c->file_count);
    for (size_t j = 0; j < c->file_count && s == OC_OK; j++) {
      const oc_manifest_file *f = &c->files[j];
      bool absent = f->kind != OC_MANIFEST_FILE_READ; /* no file data */
      s = put_u8(out, (uint8_t)f->kind);
      if (s == OC_OK)
        s = put_bytes(out, f->path, strlen(f->path));
      if (s == OC_OK)
        s = put_u64(out, absent ? 0 : f->size);
      if (s == OC_OK)
        s = put_u64(out, absent ? 0 : (uint64_t)f->mtime_ns);
      if (s == OC_OK)
        s = put_u64(out, absent ? 0 : (uint64_t)f->ctime_ns);
      if (s == OC_OK) {
        static const oc_digest zero;
        bool no_hash = f->kind == OC_MANIFEST_FILE_ABSENT;
        s = oc_buffer_append(out, no_hash ? zero.bytes : f->hash.bytes,
                             OC_DIGEST_SIZE);
      }
    }
    if (s == OC_OK)
      s = put_bytes(out, c->stderr_data, c->stderr_size);
    if (s == OC_OK)
      s = put_u8(out, c->has_depfile ? 1 : 0);
    if (s == OC_OK)
      s = put_u32(out, c->dep_input_index);
    if (s == OC_OK)
      s = put_u32(out, (uint32_t)c->dep_count);
    for (size_t j = 0; j < c->dep_count && s == OC_OK; j++) {
      s = put_u32(out, c->deps[j].file);
      if (s == OC_OK)
        s = put_bytes(out, c->deps[j].name, strlen(c->deps[j].name));
    }
    if (s == OC_OK)
      s = put_u32(out, (uint32_t)c->output_count);
    for (size_t j = 0; j < c->output_count && s == OC_OK; j++) {
      s = put_bytes(out, c->outputs[j].name, strlen(c->outputs[j].name));
      if (s == OC_OK)
        s = put_bytes(out, c->outputs[j].path, strlen(c->outputs[j].path));
    }
  }
  if (s == OC_OK) {
    oc_digest sum = oc_hash_bytes(out->data + start, out->size - start);
    s = oc_buffer_append(out, sum.bytes, OC_DIGEST_SIZE);
  }
  if (s != OC_OK) {
    out->size = start;
    return oc_fail(err, s, "out of memory encoding a manifest");
  }
  if (out->size - start > OC_MANIFEST_MAX_SIZE) {
    out->size = start;
    return oc_fail(err, OC_INVALID, "manifest would exceed %zu bytes",
                   OC_MANIFEST_MAX_SIZE);
  }
  return OC_OK;
}

/* ---- decoding ------------------------------------------------------------ */

typedef struct {
  const uint8_t *p;
  size_t left;
} reader;

static bool get_u8(reader *r, uint8_t *v) {
  if (r->left < 1)
    return false;
  *v = r->p[0];
  r->p++, r->left--;
  return true;
}

static bool get_u32(reader *r, uint32_t *v) {
  if (r->left < 4)
    return false;
  *v = 0;
  for (int i = 0; i < 4; i++)
    *v |= (uint32_t)r->p[i] << (8 * i);
  r->p += 4, r->left -= 4;
  return true;
}

static bool get_u64(reader *r, uint64_t *v) {
  if (r->left < 8)
    return false;
  *v = 0;
  for (int i = 0; i < 8; i++)
    *v |= (uint64_t)r->p[i] << (8 * i);
  r->p += 8, r->left -= 8;
  return true;
}

static bool get_raw(reader *r, void *out, size_t len) {
  if (r->left < len)
    return false;
  memcpy(out, r->p, len);
  r->p += len, r->left -= len;
  return true;
}

/* A length-prefixed byte string of at most `limit` bytes, copied out with a
 * NUL after it (so paths can be used as C strings). */
static bool get_bytes(reader *r, size_t limit, uint8_t **out, size_t *len) {
  uint32_t n;
  if (!get_u32(r, &n) || n > limit || n > r->left)
    return false;
  *out = malloc((size_t)n + 1);
  if (!*out)
    return false;
  memcpy(*out, r->p, n);
  (*out)[n] = '\0';
  *len = n;
  r->p += n, r->left -= n;
  return true;
}

static const char *decode_file(reader *r, oc_manifest_file *f) {
  uint8_t kind;
  if (!get_u8(r, &kind))
    return "truncated file entry";
  if (kind > OC_MANIFEST_FILE_LOCATION)
    return "bad file kind";
  f->kind = (oc_manifest_file_kind)kind;
  uint8_t *path;
  size_t len;
  if (!get_bytes(r, 4095, &path, &len))
    return "bad or truncated path";
  f->path = (char *)path;
  if (len < 1 || memchr(path, '\0', len))
    return "path is empty or holds a NUL byte";
  uint64_t mtime, ctime;
  if (!get_u64(r, &f->size) || !get_u64(r, &mtime) || !get_u64(r, &ctime) ||
      !get_raw(r, f->hash.bytes, OC_DIGEST_SIZE))
    return "truncated file entry";
  f->mtime_ns = (int64_t)mtime;
  f->ctime_ns = (int64_t)ctime;
  if (f->kind == OC_MANIFEST_FILE_ABSENT) {
    static const oc_digest zero;
    if (f->size || mtime || ctime || !oc_digest_equal(&f->hash, &zero))
      return "absent path with file data";
  }
  if (f->kind == OC_MANIFEST_FILE_LOCATION && (f->size || mtime || ctime))
    return "location with file data";
  return NULL;
}

static const char *decode_candidate(reader *r, oc_manifest_candidate *c) {
  uint32_t files;
  if (!get_raw(r, c->result_key.bytes, OC_DIGEST_SIZE) ||
      !get_u64(r, &c->created_unix) || !get_u32(r, &files))
    return "truncated candidate";
  /* Each file entry takes at least 61 bytes: a count the rest of the input
   * cannot hold is refused before anything is allocated for it. */
  if (files > OC_MANIFEST_MAX_FILES || (size_t)files > r->left / 61)
    return "file count larger than the manifest";
  c->files = calloc(files ? files : 1, sizeof *c->files);
  if (!c->files)
    return "out of memory";
  for (uint32_t i = 0; i < files; i++) {
    c->file_count = i + 1; /* so that a failure frees what was read */
    const char *why = decode_file(r, &c->files[i]);
    if (why)
      return why;
  }
  c->file_count = files;
  if (!get_bytes(r, OC_MANIFEST_MAX_OUTPUT, &c->stderr_data, &c->stderr_size))
    return "bad or truncated stderr";
  uint8_t has_dep;
  if (!get_u8(r, &has_dep) || has_dep > 1)
    return "bad dependency-file flag";
  c->has_depfile = has_dep;
  uint32_t input_index, deps;
  if (!get_u32(r, &input_index) || !get_u32(r, &deps))
    return "truncated dependency list";
  /* Each dependency takes at least 9 bytes (an empty name is refused). */
  if (deps > OC_MANIFEST_MAX_FILES || (size_t)deps > r->left / 9)
    return "dependency count larger than the manifest";
  if (!has_dep && (deps || input_index))
    return "dependencies without the flag";
  if (input_index > deps)
    return "main file index out of the dependency list";
  c->dep_input_index = input_index;
  c->deps = calloc(deps ? deps : 1, sizeof *c->deps);
  if (!c->deps)
    return "out of memory";
  for (uint32_t i = 0; i < deps; i++) {
    oc_manifest_dep *d = &c->deps[i];
    c->dep_count = i + 1; /* so that a failure frees what was read */
    uint8_t *name;
    size_t len;
    if (!get_u32(r, &d->file) || !get_bytes(r, 4095, &name, &len))
      return "truncated dependency";
    d->name = (char *)name;
    if (d->file >= c->file_count ||
        c->files[d->file].kind != OC_MANIFEST_FILE_READ)
      return "dependency names no file the candidate read";
    if (memchr(name, '\0', len) || !oc_depfile_name_ok(d->name))
      return "dependency name holds a control byte";
  }
  uint32_t outputs;
  if (!get_u32(r, &outputs) || outputs > OC_MANIFEST_MAX_SIDE_OUTPUTS)
    return "bad side-output count";
  c->outputs = calloc(outputs ? outputs : 1, sizeof *c->outputs);
  if (!c->outputs)
    return "out of memory";
  for (uint32_t i = 0; i < outputs; i++) {
    uint8_t *name, *path;
    size_t name_len, path_len;
    if (!get_bytes(r, OC_MANIFEST_NAME_SIZE - 1, &name, &name_len))
      return "bad or truncated side-output name";
    bool named = valid_name((const char *)name, name_len);
    memcpy(c->outputs[i].name, name, name_len);
    free(name);
    if (!named)
      return "bad side-output name";
    if (!get_bytes(r, 4095, &path, &path_len))
      return "bad or truncated side-output path";
    c->outputs[i].path = (char *)path;
    c->output_count = i + 1;
    if (path_len < 2 || path[0] != '/' || memchr(path, '\0', path_len))
      return "side-output path is not absolute or holds a NUL byte";
  }
  return NULL;
}

oc_status oc_manifest_decode(const void *data, size_t size, oc_manifest *out,
                             oc_error *err) {
  if (!out || (!data && size))
    return oc_fail(err, OC_INVALID, "oc_manifest_decode: NULL argument");
  memset(out, 0, sizeof *out);
  const uint8_t *bytes = data;
  if (size > OC_MANIFEST_MAX_SIZE)
    return oc_fail(err, OC_CORRUPT, "manifest too large (%zu bytes)", size);
  if (size < OC_MANIFEST_MAGIC_SIZE + 8 + OC_DIGEST_SIZE)
    return oc_fail(err, OC_CORRUPT, "manifest truncated (%zu bytes)", size);
  if (memcmp(bytes, OC_MANIFEST_MAGIC, OC_MANIFEST_MAGIC_SIZE) != 0)
    return oc_fail(err, OC_CORRUPT, "bad manifest magic");
  oc_digest sum = oc_hash_bytes(bytes, size - OC_DIGEST_SIZE);
  if (memcmp(sum.bytes, bytes + size - OC_DIGEST_SIZE, OC_DIGEST_SIZE) != 0)
    return oc_fail(err, OC_CORRUPT, "manifest checksum mismatch");
  reader r = {bytes + OC_MANIFEST_MAGIC_SIZE,
              size - OC_MANIFEST_MAGIC_SIZE - OC_DIGEST_SIZE};
  uint32_t version, count;
  get_u32(&r, &version);
  get_u32(&r, &count);
  /* Another version is not damage: a miss, which the next compile's
   * candidate replaces. */
  if (version != OC_MANIFEST_FORMAT_VERSION)
    return oc_fail(err, OC_NOT_FOUND, "manifest format version %u", version);
  if (count > OC_MANIFEST_MAX_CANDIDATES)
    return oc_fail(err, OC_CORRUPT, "manifest claims %u candidates", count);
  out->candidates = calloc(count ? count : 1, sizeof *out->candidates);
  if (!out->candidates)
    return oc_fail(err, OC_NO_MEMORY, "out of memory decoding a manifest");
  const char *why = NULL;
  for (uint32_t i = 0; i < count && !why; i++) {
    out->count = i + 1;
    why = decode_candidate(&r, &out->candidates[i]);
  }
  if (!why && r.left)
    why = "trailing bytes after the last candidate";
  if (why) {
    oc_manifest_free(out);
    return oc_fail(err, OC_CORRUPT, "manifest candidate invalid: %s", why);
  }
  return OC_OK;
}

/* ---- adding a candidate -------------------------------------------------- */

void oc_manifest_candidate_free(oc_manifest_candidate *c) {
  if (!c)
    return;
  for (size_t i = 0; i < c->file_count; i++)
    free(c->files[i].path);
  free(c->files);
  free(c->stderr_data);
  for (size_t i = 0; i < c->dep_count; i++)
    free(c->deps[i].name);
  free(c->deps);
  for (size_t i = 0; i < c->output_count; i++)
    free(c->outputs[i].path);
  free(c->outputs);
  memset(c, 0, sizeof *c);
}

void oc_manifest_free(oc_manifest *manifest) {
  if (!manifest)
    return;
  for (size_t i = 0; i < manifest->count; i++)
    oc_manifest_candidate_free(&manifest->candidates[i]);
  free(manifest->candidates);
  memset(manifest, 0, sizeof *manifest);
}

static uint8_t *copy_bytes(const void *data, size_t len) {
  uint8_t *copy = malloc(len + 1);
  if (copy) {
    if (len)
      memcpy(copy, data, len);
    copy[len] = '\0';
  }
  return copy;
}

static bool copy_candidate(oc_manifest_candidate *to,
                           const oc_manifest_candidate *from) {
  *to = *from;
  to->files =
      calloc(from->file_count ? from->file_count : 1, sizeof *to->files);
  to->stderr_data = copy_bytes(from->stderr_data, from->stderr_size);
  to->deps = calloc(from->dep_count ? from->dep_count : 1, sizeof *to->deps);
  to->file_count = 0;
  to->dep_count = 0;
  to->outputs =
      calloc(from->output_count ? from->output_count : 1, sizeof *to->outputs);
  to->output_count = 0;
  bool ok = to->files && to->stderr_data && to->deps && to->outputs;
  for (size_t i = 0; ok && i < from->output_count; i++) {
    to->outputs[i] = from->outputs[i];
    to->outputs[i].path = (char *)copy_bytes(from->outputs[i].path,
                                             strlen(from->outputs[i].path));
    to->output_count = i + 1;
    ok = to->outputs[i].path != NULL;
  }
  for (size_t i = 0; ok && i < from->file_count; i++) {
    to->files[i] = from->files[i];
    to->files[i].path =
        (char *)copy_bytes(from->files[i].path, strlen(from->files[i].path));
    to->file_count = i + 1;
    ok = to->files[i].path != NULL;
  }
  for (size_t i = 0; ok && i < from->dep_count; i++) {
    to->deps[i].file = from->deps[i].file;
    to->deps[i].name =
        (char *)copy_bytes(from->deps[i].name, strlen(from->deps[i].name));
    to->dep_count = i + 1;
    ok = to->deps[i].name != NULL;
  }
  if (!ok)
    oc_manifest_candidate_free(to);
  return ok;
}

static bool same_result(const oc_manifest_candidate *a,
                        const oc_manifest_candidate *b) {
  if (!oc_digest_equal(&a->result_key, &b->result_key) ||
      a->file_count != b->file_count || a->dep_count != b->dep_count ||
      a->dep_input_index != b->dep_input_index ||
      a->output_count != b->output_count)
    return false;
  for (size_t i = 0; i < a->output_count; i++)
    if (strcmp(a->outputs[i].name, b->outputs[i].name) != 0 ||
        strcmp(a->outputs[i].path, b->outputs[i].path) != 0)
      return false;
  for (size_t i = 0; i < a->dep_count; i++)
    if (a->deps[i].file != b->deps[i].file ||
        strcmp(a->deps[i].name, b->deps[i].name) != 0)
      return false;
  for (size_t i = 0; i < a->file_count; i++) {
    const oc_manifest_file *x = &a->files[i], *y = &b->files[i];
    if (x->kind != y->kind || strcmp(x->path, y->path) != 0 ||
        !oc_digest_equal(&x->hash, &y->hash))
      return false;
  }
  return true;
}

oc_status oc_manifest_add(oc_manifest *manifest,
                          const oc_manifest_candidate *candidate,
                          size_t max_candidates, oc_error *err) {
  if (!manifest || !candidate || max_candidates == 0)
    return oc_fail(err, OC_INVALID, "oc_manifest_add: bad argument");
  oc_status status = check_candidate(candidate, err);
  if (status != OC_OK)
    return status;
  /* An equal candidate goes: the new one (fresher stat data) is appended. */
  for (size_t i = 0; i < manifest->count; i++) {
    if (!same_result(&manifest->candidates[i], candidate))
      continue;
    oc_manifest_candidate_free(&manifest->candidates[i]);
    memmove(&manifest->candidates[i], &manifest->candidates[i + 1],
            (manifest->count - i - 1) * sizeof *manifest->candidates);
    manifest->count--;
    break;
  }
  while (manifest->count >= max_candidates) {
    oc_manifest_candidate_free(&manifest->candidates[0]);
    memmove(&manifest->candidates[0], &manifest->candidates[1],
            (manifest->count - 1) * sizeof *manifest->candidates);
    manifest->count--;
  }
  oc_manifest_candidate *grown =
      realloc(manifest->candidates,
              (manifest->count + 1) * sizeof *manifest->candidates);
  if (!grown)
    return oc_fail(err, OC_NO_MEMORY, "out of memory adding a candidate");
  manifest->candidates = grown;
  if (!copy_candidate(&manifest->candidates[manifest->count], candidate))
    return oc_fail(err, OC_NO_MEMORY, "out of memory adding a candidate");
  manifest->count++;
  return OC_OK;
}

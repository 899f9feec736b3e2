/* verify.c - verify mode (verify.h): the sampling draw, the one byte-for-
 * byte comparison of a cached and a fresh compile's outputs, and the
 * evidence kept when they differ. Evidence is rare (a mismatch is a bug
 * somewhere), so it is written plainly, file by file, with no lock: two
 * racing mismatches of one key leave one or the other's files. */
#include "objcache/verify.h"

#include "fsutil.h"
#include "objcache/history.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bool oc_verify_sample(const oc_config *cfg) {
  if (!cfg || cfg->verify == 0)
    return false;
  return oc_fs_random() % 10000 < cfg->verify;
}

static const oc_verify_output *find(const oc_verify_output *list, size_t n,
                                    const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(list[i].name, name) == 0)
      return &list[i];
  return NULL;
}

const char *oc_verify_compare(const oc_verify_output *cached, size_t ncached,
                              const oc_verify_output *fresh, size_t nfresh) {
  for (size_t i = 0; i < nfresh; i++) {
    const oc_verify_output *c = find(cached, ncached, fresh[i].name);
    if (!c || c->size != fresh[i].size ||
        (c->size && memcmp(c->data, fresh[i].data, c->size) != 0))
      return fresh[i].name;
  }
  for (size_t i = 0; i < ncached; i++)
    if (!find(fresh, nfresh, cached[i].name))
      return cached[i].name;
  return NULL;
}

/* Writes one evidence file (replacing an older one); 0 or an errno. */
static int put_file(const char *dir, const char *name, const void *data,
                    size_t len, int mask) {
  char path[PATH_MAX + 80];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return oc_fs_write_atomic(path, data, len, mask);
}

static bool plain_name(const char *name) {
  return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < 32;
}

oc_status oc_verify_keep(const oc_config *cfg, const oc_verify_evidence *ev,
                         char *dir_out, size_t dir_size, oc_error *err) {
  if (!cfg || !ev || !ev->key_hex)
    return oc_fail(err, OC_INVALID, "oc_verify_keep: NULL argument");
  char dir[PATH_MAX];
  int n =
      snprintf(dir, sizeof dir, "%s/verify/%s", cfg->cache_dir, ev->key_hex);
  if (n < 0 || (size_t)n >= sizeof dir)
    return oc_fail(err, OC_INVALID, "cache directory path too long");
  if (dir_out && dir_size)
    snprintf(dir_out, dir_size, "%s", dir);
  oc_status status = oc_fs_mkdirs(dir, cfg->umask, err);
  if (status != OC_OK)
    return status;

  oc_buffer info = {0};
  char head[2 * PATH_MAX];
  snprintf(head, sizeof head,
           "key %s\noutput %s\ndiffering %s\ntime %lld\n"
           "writer-record %s\n",
           ev->key_hex, ev->output_path ? ev->output_path : "-",
           ev->differing ? ev->differing : "-", (long long)time(NULL),
           ev->writer_record ? "writer.record"
                             : "(not kept: the entry came from the remote, "
                               "its record aged out, or an older objcache "
                               "wrote it)");
  status = oc_buffer_append(&info, head, strlen(head));
  if (status == OC_OK && ev->writer_record && ev->fresh_record) {
    /* What the two compiles saw differently; nothing when the key missed
     * the difference (then the objects say what it was). */
    oc_buffer diff = {0};
    status = oc_record_diff(ev->writer_record, ev->writer_record_len,
                            ev->fresh_record, ev->fresh_record_len, &diff);
    static const char same[] = "factors: the same in both records\n";
    static const char changed[] = "factors changed (writer -> fresh):\n";
    if (status == OC_OK && diff.size == 0)
      status = oc_buffer_append(&info, same, sizeof same - 1);
    else if (status == OC_OK)
      status = oc_buffer_append(&info, changed, sizeof changed - 1);
    if (status == OC_OK)
      status = oc_buffer_append(&info, diff.data, diff.size);
    if (status != OC_OK && status != OC_NO_MEMORY)
      status = OC_OK; /* a damaged writer record: keep the rest */
    oc_buffer_free(&diff);
  }
  if (status != OC_OK) {
    oc_buffer_free(&info);
    return oc_fail(err, status, "out of memory");
  }
  int e = put_file(dir, "info", info.data, info.size, cfg->umask);
  oc_buffer_free(&info);
  if (e == 0 && ev->writer_record)
    e = put_file(dir, "writer.record", ev->writer_record, ev->writer_record_len,
                 cfg->umask);
  if (e == 0 && ev->fresh_record)
    e = put_file(dir, "fresh.record", ev->fresh_record, ev->fresh_record_len,
                 cfg->umask);
  for (int side = 0; side < 2 && e == 0; side++) {
    const oc_verify_output *list = side ? ev->fresh : ev->cached;
    size_t count = side ? ev->nfresh : ev->ncached;
    for (size_t i = 0; i < count && e == 0; i++) {
      if (!plain_name(list[i].name))
        continue;
      char name[48];
      snprintf(name, sizeof name, "%s.%s", side ? "fresh" : "cached",
               list[i].name);
      e = put_file(dir, name, list[i].data, list[i].size, cfg->umask);
    }
  }
  if (e != 0)
    return oc_fail(err, oc_fs_errno_status(e), "cannot keep evidence in %s: %s",
                   dir, strerror(e));
  return OC_OK;
}

/* log.c - one line per compile appended to the logfile (log.h).
 *
 * The line is built in memory and written with a single write(2) to a file
 * opened with O_APPEND: the kernel then places each line whole at the end of
 * the file, so parallel compiles never interleave inside a line. */
#include "objcache/log.h"

#include "objcache/buffer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Appends a field, or "-" when it is missing. Tabs, newlines and other
 * control bytes become '?': a field must never break the one-line,
 * tab-separated shape that scripts rely on. */
static oc_status append_field(oc_buffer *line, const char *field) {
  if (!field || !*field)
    return oc_buffer_append(line, "-", 1);
  size_t len = strlen(field);
  size_t start = line->size;
  oc_status status = oc_buffer_append(line, field, len);
  for (size_t i = start; status == OC_OK && i < line->size; i++)
    if (line->data[i] < 0x20 || line->data[i] == 0x7f)
      line->data[i] = '?';
  return status;
}

oc_status oc_log_compile(const oc_config *cfg, const char *source,
                         const char *key_hex, const char *result,
                         const char *reason, uint64_t duration_ms,
                         oc_error *err) {
  if (!cfg->logfile[0])
    return OC_OK;

  struct timespec now;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &now);
  gmtime_r(&now.tv_sec, &tm);
  char stamp[64];
  size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(stamp + n, sizeof stamp - n, ".%03ldZ", now.tv_nsec / 1000000);

  char ms[32];
  snprintf(ms, sizeof ms, "\t%" PRIu64 "\n", duration_ms);

  oc_buffer line = {0};
  oc_status status = oc_buffer_append(&line, stamp, strlen(stamp));
  const char *fields[] = {source, key_hex, result, reason};
  for (size_t i = 0; i < 4 && status == OC_OK; i++) {
    status = oc_buffer_append(&line, "\t", 1);
    if (status == OC_OK)
      status = append_field(&line, fields[i]);
  }
  if (status == OC_OK)
    status = oc_buffer_append(&line, ms, strlen(ms));
  if (status != OC_OK) {
    oc_buffer_free(&line);
    return oc_fail(err, status, "out of memory building the log line");
  }

  int fd = open(cfg->logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    int e = errno;
    oc_buffer_free(&line);
    return oc_fail(err, OC_IO_ERROR, "cannot open logfile %s: %s", cfg->logfile,
                   strerror(e));
  }
  ssize_t written;
  do
    written = write(fd, line.data, line.size);
  while (written < 0 && errno == EINTR);
  int e = errno;
  close(fd);
  /* No second write for a short one: it could land after another
   * process's line and split ours in two. */
  if (written < 0 || (size_t)written != line.size) {
    bool full = written >= 0 || e == ENOSPC || e == EDQUOT;
    status = oc_fail(err, full ? OC_NO_SPACE : OC_IO_ERROR,
                     "cannot write logfile %s: %s", cfg->logfile,
                     written < 0 ? strerror(e) : "short write");
  }
  oc_buffer_free(&line);
  return status;
}

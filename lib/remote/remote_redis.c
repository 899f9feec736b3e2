/* remote_redis.c - the Redis protocol for the remote tier (remote_redis.h),
 * through hiredis' blocking API with a connect timeout and, per command,
 * one deadline for the whole exchange (the socket timeout is re-armed with
 * what is left before every read and write), and a cap on the size of a
 * reply checked from its length header before the body is read. Binary-safe (commands go through redisCommandArgv). Messages
 * name the server as host:port or the socket path, never the password.
 *
 * SIGPIPE: hiredis writes with write(2), so a server that went away would
 * kill the compiler with SIGPIPE. Every exchange runs with SIGPIPE blocked in
 * this thread and a SIGPIPE it raised is consumed before unblocking. */
#include "remote_redis.h"

#include <hiredis/hiredis.h>

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct oc_redis {
  redisContext *context;
  uint32_t op_ms; /* the deadline of one whole command */
  char where[160]; /* "host:port" or the socket path, for messages */
};

/* Blocks SIGPIPE for the duration of one exchange; see the file comment. */
typedef struct {
  sigset_t old_mask;
  bool was_pending;
} pipe_guard;

static void guard_begin(pipe_guard *guard) {
  sigset_t pipe_set, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  guard->was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_set, &guard->old_mask);
}

static void guard_end(pipe_guard *guard) {
  if (!guard->was_pending) {
    sigset_t pipe_set, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1) {
      const struct timespec zero = {0, 0};
      while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
      }
    }
  }
  pthread_sigmask(SIG_SETMASK, &guard->old_mask, NULL);
}

static struct timeval to_timeval(uint32_t ms) {
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
  return tv;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sets the socket timeout to what is left until deadline; false when
 * nothing is left. hiredis' own timeout is per system call, so a server
 * trickling a byte at a time could hold us forever under it. */
static bool arm_deadline(oc_redis *redis, long long deadline) {
  long long left = deadline - now_ms();
  if (left <= 0)
    return false;
  return redisSetTimeout(redis->context, to_timeval((uint32_t)left)) ==
         REDIS_OK;
}

/* Looks at the unparsed start of the reply: a bulk string longer than
 * max_bulk is refused from its "$<length>" line, before its bytes are
 * read. 1: checked (or not a bulk), 0: the line is not complete yet, -1:
 * too long or malformed (why says which). */
static int check_bulk_header(const redisReader *reader, size_t max_bulk,
                             const char **why) {
  const char *p = reader->buf + reader->pos;
  size_t avail = reader->len - reader->pos;
  if (avail == 0)
    return 0;
  if (p[0] != '$' || max_bulk == 0)
    return 1;
  const char *nl = memchr(p, '\n', avail);
  if (!nl)
    return avail > 24 ? (*why = "malformed reply", -1) : 0;
  long long len = 0;
  for (const char *q = p + 1; q < nl && *q != '\r'; q++) {
    if (*q == '-' && q == p + 1)
      return 1; /* $-1: nil */
    if (*q < '0' || *q > '9' || len > (long long)1 << 50)
      return *why = "malformed reply", -1;
    len = len * 10 + (*q - '0');
  }
  if ((unsigned long long)len > max_bulk) {
    *why = "reply is larger than any acceptable value (refused unread)";
    return -1;
  }
  return 1;
}

/* Runs one command with one deadline for the whole exchange (op_ms from
 * sending the first byte to the last byte of the reply); NULL with a
 * message when it failed or timed out. A bulk reply longer than max_bulk
 * (0: no limit) is refused from its length header. */
static redisReply *command(oc_redis *redis, int argc, const char **argv,
                           const size_t *lens, size_t max_bulk,
                           oc_error *err) {
  redisContext *c = redis->context;
  if (redisAppendCommandArgv(c, argc, argv, lens) != REDIS_OK) {
    oc_fail(err, OC_IO_ERROR, "redis %s: %s: %s", redis->where, argv[0],
            c->errstr[0] ? c->errstr : "out of memory");
    return NULL;
  }
  long long deadline = now_ms() + redis->op_ms;
  pipe_guard guard;
  guard_begin(&guard);
  const char *why = NULL;
  int done = 0;
  while (!why && !done) {
    if (!arm_deadline(redis, deadline))
      why = "timed out";
    else if (redisBufferWrite(c, &done) != REDIS_OK)
      why = "";
  }
  void *reply = NULL;
  bool header_checked = false;
  while (!why) {
    if (!header_checked) {
      int checked = check_bulk_header(c->reader, max_bulk, &why);
      if (checked < 0)
        break;
      header_checked = checked > 0;
    }
    if (header_checked) {
      if (redisGetReplyFromReader(c, &reply) != REDIS_OK) {
        why = "";
        break;
      }
      if (reply)
        break;
    }
    if (!arm_deadline(redis, deadline)) {
      why = "timed out";
      break;
    }
    if (redisBufferRead(c) != REDIS_OK) {
      why = "";
      break;
    }
  }
  int saved_errno = errno;
  guard_end(&guard);
  if (!reply) {
    if (!why || !why[0]) {
      why = c->errstr[0] ? c->errstr : "no reply";
      /* hiredis reports a timed-out read as a generic I/O error. */
      if (c->err == REDIS_ERR_IO &&
          (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK))
        why = "timed out";
    }
    oc_fail(err, OC_IO_ERROR, "redis %s: %s: %s", redis->where, argv[0], why);
    /* The connection holds half an exchange: unusable from here on. */
    if (!c->err)
      c->err = REDIS_ERR_IO;
  }
  return reply;
}

/* Sends a command whose only good answer is a status reply ("OK"). */
static oc_status expect_ok(oc_redis *redis, int argc, const char **argv,
                           const size_t *lens, oc_error *err) {
  redisReply *reply = command(redis, argc, argv, lens, 0, err);
  if (!reply)
    return OC_IO_ERROR;
  oc_status status = OC_OK;
  if (reply->type == REDIS_REPLY_ERROR)
    status = oc_fail(err, OC_IO_ERROR, "redis %s: %s refused: %.200s",
                     redis->where, argv[0], reply->str);
  else if (reply->type != REDIS_REPLY_STATUS)
    status = oc_fail(err, OC_IO_ERROR, "redis %s: unexpected reply to %s",
                     redis->where, argv[0]);
  freeReplyObject(reply);
  return status;
}

oc_status oc_redis_connect(const oc_remote_url *url, uint32_t connect_ms,
                           uint32_t op_ms, oc_redis **out, oc_error *err) {
  *out = NULL;
  oc_redis *redis = calloc(1, sizeof *redis);
  if (!redis)
    return oc_fail(err, OC_NO_MEMORY, "out of memory connecting to redis");
  if (url->unix_socket)
    snprintf(redis->where, sizeof redis->where, "%s", url->path);
  else
    snprintf(redis->where, sizeof redis->where,
             strchr(url->host, ':') ? "[%s]:%d" : "%s:%d", url->host,
             url->port);

  pipe_guard guard;
  guard_begin(&guard);
  redis->context =
      url->unix_socket
          ? redisConnectUnixWithTimeout(url->path, to_timeval(connect_ms))
          : redisConnectWithTimeout(url->host, url->port,
                                    to_timeval(connect_ms));
  guard_end(&guard);
  if (!redis->context || redis->context->err) {
    oc_status status = oc_fail(
        err, OC_IO_ERROR, "cannot connect to redis %s: %s", redis->where,
        redis->context ? redis->context->errstr : "out of memory");
    oc_redis_close(redis);
    return status;
  }
  redis->op_ms = op_ms;
  if (redisSetTimeout(redis->context, to_timeval(op_ms)) != REDIS_OK) {
    oc_status status =
        oc_fail(err, OC_IO_ERROR, "cannot set a timeout on redis %s: %s",
                redis->where, redis->context->errstr);
    oc_redis_close(redis);
    return status;
  }

  oc_status status = OC_OK;
  if (url->password[0]) {
    /* AUTH password, or AUTH user password for a Redis 6 ACL user. */
    const char *argv[3] = {"AUTH", url->user, url->password};
    size_t lens[3] = {4, strlen(url->user), strlen(url->password)};
    int argc = 3;
    if (!url->user[0]) {
      argv[1] = argv[2];
      lens[1] = lens[2];
      argc = 2;
    }
    status = expect_ok(redis, argc, argv, lens, err);
  }
  if (status == OC_OK && url->db != 0) {
    char db[16];
    snprintf(db, sizeof db, "%d", url->db);
    const char *argv[2] = {"SELECT", db};
    size_t lens[2] = {6, strlen(db)};
    status = expect_ok(redis, 2, argv, lens, err);
  }
  if (status != OC_OK) {
    oc_redis_close(redis);
    return status;
  }
  *out = redis;
  return OC_OK;
}

void oc_redis_close(oc_redis *redis) {
  if (!redis)
    return;
  if (redis->context)
    redisFree(redis->context);
  free(redis);
}

oc_status oc_redis_get(oc_redis *redis, const char *key, size_t max_size,
                       oc_buffer *value, oc_error *err) {
  const char *argv[2] = {"GET", key};
  size_t lens[2] = {3, strlen(key)};
  redisReply *reply = command(redis, 2, argv, lens, max_size, err);
  if (!reply)
    return OC_IO_ERROR;
  oc_status status;
  switch (reply->type) {
  case REDIS_REPLY_NIL:
    status = OC_NOT_FOUND;
    break;
  case REDIS_REPLY_STRING:
    value->size = 0;
    status = oc_buffer_append(value, reply->str, reply->len);
    if (status != OC_OK)
      status = oc_fail(err, OC_NO_MEMORY, "out of memory reading %s", key);
    break;
  case REDIS_REPLY_ERROR:
    /* A list or hash under our key: someone else's value, not a failure. */
    if (strncmp(reply->str, "WRONGTYPE", 9) == 0)
      status = oc_fail(err, OC_CORRUPT, "the value is not a string");
    else
      status = oc_fail(err, OC_IO_ERROR, "redis %s: GET refused: %.200s",
                       redis->where, reply->str);
    break;
  default:
    status = oc_fail(err, OC_IO_ERROR, "redis %s: unexpected reply to GET",
                     redis->where);
    break;
  }
  freeReplyObject(reply);
  return status;
}

oc_status oc_redis_set(oc_redis *redis, const char *key, const void *value,
                       size_t size, uint64_t expiry_ms, oc_error *err) {
  char expiry[24];
  snprintf(expiry, sizeof expiry, "%llu", (unsigned long long)expiry_ms);
  const char *argv[5] = {"SET", key, value, "PX", expiry};
  size_t lens[5] = {3, strlen(key), size, 2, strlen(expiry)};
  return expect_ok(redis, expiry_ms ? 5 : 3, argv, lens, err);
}

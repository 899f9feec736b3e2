/* remote_redis.c - the Redis protocol for the remote tier (remote_redis.h),
 * through hiredis' blocking API with a connect timeout and an operation
 * timeout. Binary-safe (commands go through redisCommandArgv). Messages
 * name the server as host:port or the socket path, never the password.
 *
 * SIGPIPE: hiredis writes with write(2), so a server that went away would
 * kill the compiler with SIGPIPE. Every exchange runs with SIGPIPE blocked in
 * this thread and a SIGPIPE it raised is consumed before unblocking. */
#include "remote_redis.h"

#include <hiredis/hiredis.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct oc_redis {
  redisContext *context;
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

/* Runs one command; NULL with a message when the connection failed. */
static redisReply *command(oc_redis *redis, int argc, const char **argv,
                           const size_t *lens, oc_error *err) {
  pipe_guard guard;
  guard_begin(&guard);
  redisReply *reply = redisCommandArgv(redis->context, argc, argv, lens);
  int saved_errno = errno;
  guard_end(&guard);
  if (!reply) {
    const char *why =
        redis->context->errstr[0] ? redis->context->errstr : "no reply";
    /* hiredis reports a timed-out read as a generic I/O error. */
    if (redis->context->err == REDIS_ERR_IO &&
        (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK))
      why = "timed out";
    oc_fail(err, OC_IO_ERROR, "redis %s: %s: %s", redis->where, argv[0], why);
  }
  return reply;
}

/* Sends a command whose only good answer is a status reply ("OK"). */
static oc_status expect_ok(oc_redis *redis, int argc, const char **argv,
                           const size_t *lens, oc_error *err) {
  redisReply *reply = command(redis, argc, argv, lens, err);
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

oc_status oc_redis_get(oc_redis *redis, const char *key, oc_buffer *value,
                       oc_error *err) {
  const char *argv[2] = {"GET", key};
  size_t lens[2] = {3, strlen(key)};
  redisReply *reply = command(redis, 2, argv, lens, err);
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

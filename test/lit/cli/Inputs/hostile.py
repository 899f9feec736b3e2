#!/usr/bin/env python3
"""hostile.py - what a hostile member of a shared cache (or a broken
server) does, for hostile-cache.test. Subcommands:
  forge-entry DIR SRC_ENTRY DST_ENTRY  copy another key's entry into place,
                                       rewriting its key field (well formed)
  bomb-entry ENTRY ZST                 an entry for ENTRY's key whose payload
                                       is the zstd frame ZST (expands to GBs)
  hold-locks CACHE SECONDS             flock every shard's .size file
  trickle SOCKET                       a Redis that answers one byte per 0.3 s
"""
import fcntl
import hashlib
import os
import socket
import struct
import sys
import time


def forge_entry(src, dst):
    key = open(dst, "rb").read()[16:48]
    data = bytearray(open(src, "rb").read())
    data[16:48] = key
    tmp = dst + ".forged"
    open(tmp, "wb").write(data)
    os.rename(tmp, dst)


def bomb_entry(entry, zst):
    """Format 2 with one output (include/objcache/entry.h): the record's
    sizes rewritten and the table checksum fixed, so that only the bound
    on expansion stands between the frame and the decoder."""
    data = open(entry, "rb").read()
    count = struct.unpack_from("<I", data, 64)[0]
    assert count == 1, count
    header = bytearray(data[:104 + 80])
    frame = open(zst, "rb").read()
    struct.pack_into("<QQ", header, 104 + 32, 1 << 28, len(frame))
    header[72:104] = hashlib.blake2b(bytes(header[104:184]),
                                     digest_size=32).digest()
    open(entry, "wb").write(bytes(header) + frame)


def hold_locks(cache, seconds):
    held = []
    for shard in range(256):
        d = os.path.join(cache, "objects", "%02x" % shard)
        os.makedirs(d, exist_ok=True)
        f = open(os.path.join(d, ".size"), "a+")
        fcntl.flock(f, fcntl.LOCK_EX)
        held.append(f)
    open(os.path.join(cache, "locks-held"), "w").close()
    time.sleep(seconds)


def trickle(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(16)
    while True:
        c, _ = s.accept()
        if os.fork() == 0:
            c.recv(4096)
            try:
                for b in b"$1000\r\n" + b"x" * 1000:
                    c.send(bytes([b]))
                    time.sleep(0.3)
            except OSError:
                pass
            os._exit(0)
        c.close()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "forge-entry":
        forge_entry(sys.argv[2], sys.argv[3])
    elif cmd == "bomb-entry":
        bomb_entry(sys.argv[2], sys.argv[3])
    elif cmd == "hold-locks":
        hold_locks(sys.argv[2], float(sys.argv[3]))
    elif cmd == "trickle":
        trickle(sys.argv[2])

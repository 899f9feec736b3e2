#!/usr/bin/env python3
"""manifest.py - rewrite a direct-mode manifest as someone with write access
to a cache directory could (lib/direct/manifest.c's format 3), and reseal its
checksum, to test that direct mode treats manifest bytes as hostile.

Usage: manifest.py CACHE_DIR WITH EDIT...
  The manifest changed is the one manifest under CACHE_DIR whose bytes
  contain WITH. Edits apply to its newest candidate:
  path I NEW       the path of file I of the newest candidate
  size I N         its recorded size
  hash I           its content hash, replaced by zeros
  dep I NAME       the name of dependency I
  stderr TEXT      the stderr bytes (Python escapes: \\x1b...)
  show             print paths, deps and stderr of the newest candidate
"""
import glob
import hashlib
import os
import struct
import sys


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def bytes(self):
        return self.take(self.u32())


def decode(data):
    r = Reader(data[:-32])
    magic = r.take(8)
    version, count = r.u32(), r.u32()
    assert version == 3, version
    cands = []
    for _ in range(count):
        c = {"key": r.take(32), "created": r.u64(), "files": []}
        for _ in range(r.u32()):
            c["files"].append([r.u8(), r.bytes(), r.u64(), r.u64(), r.u64(),
                               r.take(32)])
        c["stderr"] = r.bytes()
        c["has_dep"] = r.u8()
        c["main"] = r.u32()
        c["deps"] = [[r.u32(), r.bytes()] for _ in range(r.u32())]
        c["outputs"] = [[r.bytes(), r.bytes()] for _ in range(r.u32())]
        cands.append(c)
    assert r.pos == len(data) - 32
    return magic, version, cands


def encode(magic, version, cands):
    out = bytearray(magic + struct.pack("<II", version, len(cands)))
    for c in cands:
        out += c["key"] + struct.pack("<QI", c["created"], len(c["files"]))
        for kind, path, size, mtime, ctime, digest in c["files"]:
            out += struct.pack("<BI", kind, len(path)) + path
            out += struct.pack("<QQQ", size, mtime, ctime) + digest
        out += struct.pack("<I", len(c["stderr"])) + c["stderr"]
        out += struct.pack("<BII", c["has_dep"], c["main"], len(c["deps"]))
        for index, name in c["deps"]:
            out += struct.pack("<II", index, len(name)) + name
        out += struct.pack("<I", len(c["outputs"]))
        for name, path in c["outputs"]:
            out += struct.pack("<I", len(name)) + name
            out += struct.pack("<I", len(path)) + path
    return bytes(out) + hashlib.blake2b(bytes(out), digest_size=32).digest()


def main():
    cache, needle, edits = sys.argv[1], sys.argv[2].encode(), sys.argv[3:]
    found = [p for p in glob.glob(os.path.join(cache, "objects", "*", "*.m"))
             if needle in open(p, "rb").read()]
    if len(found) != 1:
        sys.exit("%d manifests contain %r" % (len(found), needle))
    path = found[0]
    magic, version, cands = decode(open(path, "rb").read())
    c = cands[-1]
    while edits:
        op = edits.pop(0)
        if op == "show":
            for f in c["files"]:
                print("file", f[0], f[1].decode(), f[2])
            for d in c["deps"]:
                print("dep", d[0], d[1].decode())
            print("stderr", repr(c["stderr"]))
        elif op in ("path", "size", "dep"):
            index, value = int(edits.pop(0)), edits.pop(0)
            if op == "path":
                c["files"][index][1] = value.encode()
            elif op == "size":
                c["files"][index][2] = int(value)
            else:
                c["deps"][index][1] = value.encode()
        elif op == "hash":
            c["files"][int(edits.pop(0))][5] = bytes(32)
        elif op == "stderr":
            text = edits.pop(0).encode().decode("unicode_escape")
            c["stderr"] = text.encode("latin-1")
        else:
            sys.exit("unknown edit " + op)
    open(path, "wb").write(encode(magic, version, cands))


main()

"""Forges a well-formed entry holding another compile's object.

Usage: forge-entry.py VICTIM_CACHE DONOR_CACHE
Each cache holds exactly one object entry. The donor's entry (and its
writer record) is copied over the victim's, with the key field of the entry
header (bytes 16..48, see include/objcache/entry.h) set to the victim's
key: the checksum covers only the content, so the result passes every
check, as an entry from a key bug or a broken remote writer would. Prints
the victim's key in hex."""
import glob
import os
import sys


def only_entry(cache):
    names = [p for p in glob.glob(os.path.join(cache, "objects", "??", "*"))
             if len(os.path.basename(p)) == 62]
    if len(names) != 1:
        sys.exit("expected one entry in %s, found %d" % (cache, len(names)))
    return names[0]


victim = only_entry(sys.argv[1])
donor = only_entry(sys.argv[2])
key = os.path.basename(os.path.dirname(victim)) + os.path.basename(victim)
data = bytearray(open(donor, "rb").read())
data[16:48] = bytes.fromhex(key)
open(victim, "wb").write(bytes(data))
if os.path.exists(donor + ".f"):
    open(victim + ".f", "wb").write(open(donor + ".f", "rb").read())
print(key)

"""stats-json.py OBJCACHE CACHE_DIR: --print-stats --format=json is one JSON
object holding exactly the tab form's names with the same integer values,
plus objcache_version, cache_dir and remote as strings; a cache directory
whose name needs escaping (quote, backslash, newline, tab, a control byte,
UTF-8, a byte that is not UTF-8) comes back as that name, the stray byte as
U+FFFD; a remote's password never appears."""
import json
import os
import subprocess
import sys

tool, cache = sys.argv[1], sys.argv[2]
env = {k: v for k, v in os.environ.items() if not k.startswith("OBJCACHE_")}


def stats(cache_dir, *args, **extra):
    out = subprocess.run([tool, "--print-stats", *args],
                         env={**env, "OBJCACHE_DIR": cache_dir, **extra},
                         capture_output=True, check=True).stdout
    return out


tab = {}
for line in stats(cache).decode().splitlines():
    name, value = line.split("\t")
    tab[name] = int(value)
doc = json.loads(stats(cache, "--format=json"))
assert isinstance(doc, dict)
strings = {"objcache_version", "cache_dir", "remote"}
assert set(doc) == set(tab) | strings, set(doc) ^ (set(tab) | strings)
for name, value in tab.items():
    assert type(doc[name]) is int and doc[name] == value, (name, doc[name], value)
assert all(isinstance(doc[s], str) for s in strings)
assert doc["cache_dir"] == cache and doc["remote"] == ""
# The order is the tab form's, after the strings.
assert list(doc)[3:] == list(tab), list(doc)
print("fields:", len(doc), "hits:", doc["hits"], "misses:", doc["misses"])

odd = os.fsencode(cache) + b'/odd "dir" \\ tab\there\nnew\x01 \xc3\xa9 \xff end'
os.makedirs(odd)
doc = json.loads(stats(os.fsdecode(odd), "--format", "json",
                       OBJCACHE_REMOTE="redis://:hunter2@127.0.0.1:1/0"))
want = cache + '/odd "dir" \\ tab\there\nnew\x01 \u00e9 \ufffd end'
assert doc["cache_dir"] == want, (doc["cache_dir"], want)
assert "hunter2" not in doc["remote"] and "***" in doc["remote"], doc["remote"]
print("escaped:", json.dumps(doc["cache_dir"][len(cache):]), "remote:", doc["remote"])

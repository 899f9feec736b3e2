"""deb-depends.py DEB ROOT: checks the Debian package's Depends against what
its ELF files (extracted under ROOT) really link. Every shared library
that a file needs (readelf's NEEDED) must come from a package named in
Depends, found the way the system resolves it (ldconfig's cache, then
dpkg -S on that path), and clang-22 must be there because the plugin only
loads into clang 22. Prints one line per library and exits 1 on the first
gap."""
import os
import re
import subprocess
import sys

deb, root = sys.argv[1], sys.argv[2]
depends = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], check=True,
                         capture_output=True, text=True).stdout
names = {re.split(r"[\s(:]", d.strip())[0] for d in depends.split(",")}
if "clang-22" not in names:
    sys.exit("Depends lacks clang-22: " + depends)

# soname -> the paths the ldconfig cache has for it (several with multilib;
# the one of another architecture has no owner in Depends and does not
# matter, as long as one has).
cache = {}
for line in subprocess.run(["ldconfig", "-p"], check=True, capture_output=True,
                           text=True).stdout.splitlines()[1:]:
    m = re.match(r"\s*(\S+) \(.*\) => (\S+)", line)
    if m:
        cache.setdefault(m.group(1), []).append(m.group(2))


def variants(path):
    """path and its other name on a merged /usr (dpkg knows
    /usr/lib/x/libfoo.so.1 or /lib/x/libfoo.so.1, not both)."""
    return [path, path[4:] if path.startswith("/usr/") else "/usr" + path]


elves = []
for top, _, files in os.walk(root):
    for f in files:
        path = os.path.join(top, f)
        if not os.path.islink(path):
            with open(path, "rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    elves.append(path)
if len(elves) < 2:
    sys.exit("expected the launcher and the plugin, found " + str(elves))

needed = {}  # (elf, soname) -> candidate paths
for elf in elves:
    out = subprocess.run(["llvm-readelf", "-d", elf], check=True,
                         capture_output=True, text=True).stdout
    for soname in re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", out):
        if soname not in cache:
            sys.exit(f"{elf}: {soname} not in the ldconfig cache")
        needed[(elf, soname)] = [v for p in cache[soname] for v in variants(p)]

# One dpkg -S for every path (each call reads the whole package database);
# paths no package ships are left out of its answer.
owner = {}
query = sorted({p for paths in needed.values() for p in paths})
out = subprocess.run(["dpkg", "-S", *query], capture_output=True,
                     text=True).stdout
for line in out.splitlines():
    pkgs, _, path = line.partition(": ")
    for pkg in pkgs.split(", "):
        owner.setdefault(path, set()).add(pkg.split(":")[0])

for (elf, soname), paths in needed.items():
    pkgs = set().union(*(owner.get(p, set()) for p in paths))
    rel = os.path.relpath(elf, root)
    if not pkgs & names:
        sys.exit(f"{rel}: {soname} ({paths}, from "
                 f"{', '.join(sorted(pkgs)) or 'no package'}) is not in "
                 f"Depends: {depends}")
    print(f"{rel}: {soname} from {', '.join(sorted(pkgs & names))}")

#!/usr/bin/env python3
"""report.py DATA_DIR - turns the benchmark's raw measurements (the .tsv
files run.sh writes) into the markdown report on stdout: medians over the
runs, ratios against plain clang and against ccache from the same run, and
the headline numbers against objcache's targets."""
import csv
import os
import platform
import statistics
import subprocess
import sys
from collections import defaultdict

data = sys.argv[1]

MODES = [
    ("plain", "plain clang-22"),
    ("fe", "front end only (`-disable-llvm-passes -emit-llvm`)"),
    ("ccache-cold", "ccache, cold"),
    ("ccache-warm", "ccache, warm"),
    ("objcache-cold", "objcache launcher, cold"),
    ("objcache-warm", "objcache launcher, warm"),
    ("plugin-cold", "objcache `-fpass-plugin`, cold"),
    ("plugin-warm", "objcache `-fpass-plugin`, warm"),
    ("ccache-checkout2", "ccache, warm, a second checkout"),
    ("objcache-checkout2", "objcache launcher, warm, a second checkout"),
    ("ccache-builddir2", "ccache, warm, a second build directory"),
    ("objcache-builddir2", "objcache launcher, warm, a second build directory"),
]
# Which ccache row each objcache row is measured against.
CCACHE_PEER = {"objcache-cold": "ccache-cold", "plugin-cold": "ccache-cold",
               "objcache-warm": "ccache-warm", "plugin-warm": "ccache-warm",
               "objcache-checkout2": "ccache-checkout2",
               "objcache-builddir2": "ccache-builddir2"}
OPTS = {"O2": "-O2", "O0g": "-O0 -g"}


def rows(name):
    path = os.path.join(data, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.reader(f, delimiter="\t"))


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        return "?"


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "-"


def pct(a, b):
    return f"{(a / b - 1) * 100:+.1f}%" if b else "-"


# times[(project, opt, mode)] = [(wall, cpu)], one per run
times = defaultdict(list)
counts = defaultdict(list)
for p, o, m, run, wall, user, sys_, hits, misses in rows("times.tsv"):
    times[(p, o, m)].append((float(wall), float(user) + float(sys_)))
    counts[(p, o, m)].append((hits, misses))
projects = list(dict.fromkeys(r[0] for r in rows("times.tsv")))
opts = [o for o in OPTS if any(k[1] == o for k in times)]

objects = defaultdict(lambda: [0, 0])
for p, o, m, run, same, total in rows("objects.tsv"):
    objects[(p, o, m)][0] += int(same)
    objects[(p, o, m)][1] += int(total)
smoke = defaultdict(list)
for p, o, m, result in rows("smoke.tsv"):
    smoke[(p, o, m)].append(result)


def med(p, o, m, i):
    return median([t[i] for t in times[(p, o, m)]])


def total(o, m, i):
    """Sum over the projects of the median wall (i=0) or CPU (i=1) time."""
    return sum(med(p, o, m, i) for p in projects if times[(p, o, m)])


out = []
w = out.append
w("# objcache benchmark results\n")
w("Written by `make bench` (utils/bench/run.sh); see [bench.md](bench.md) "
  "for how to run it and how to read this.\n")
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2 / 1048576}' /proc/meminfo")
w(f"- Date: {os.environ.get('BENCH_STARTED', '?')} (start of the run)")
w(f"- Machine: {os.cpu_count()} CPUs ({cpu}), {mem} RAM, "
  f"{sh('. /etc/os-release && echo $PRETTY_NAME')}, "
  f"Linux {platform.release()}")
w(f"- Load average (1, 5, 15 min) at start: "
  f"{os.environ.get('BENCH_LOAD_START', '?')}, at the end: "
  f"{' '.join(open('/proc/loadavg').read().split()[:3])}")
w(f"- Versions: {sh('clang-22 --version | head -n1')}; "
  f"{sh('ccache --version | head -n1')}; objcache "
  f"{os.environ.get('OBJCACHE_COMMIT', '?')}")
w(f"- {os.environ.get('BENCH_RUNS', '?')} runs per mode, medians shown; "
  f"builds with make -j{os.environ.get('BENCH_JOBS_USED', '?')}")
note = os.environ.get("BENCH_NOTE")
if note:
    w(f"- Note: {note}")
w("")

# Headline numbers against the targets.
single = defaultdict(list)
for m, run, wall, user, sys_, rss in rows("single.tsv"):
    single[m].append((float(wall), float(user) + float(sys_), int(rss)))


def smed(m, i):
    return median([s[i] for s in single[m]])


w("## Headline\n")
w("| Measure | Result | Target |")
w("| --- | --- | --- |")
for o in opts:
    if total(o, "plain", 1):
        w(f"| Cold build overhead over plain clang, CPU time, all projects, "
          f"{OPTS[o]} (launcher / plugin) | "
          f"{pct(total(o, 'objcache-cold', 1), total(o, 'plain', 1))} / "
          f"{pct(total(o, 'plugin-cold', 1), total(o, 'plain', 1))} "
          f"(ccache {pct(total(o, 'ccache-cold', 1), total(o, 'plain', 1))}) "
          f"| at most +3% |")
if single.get("plain"):
    w(f"| Key computation overhead, cold -O2 compile of sqlite3.c, CPU time "
      f"(median of {len(single['plain'])}) | "
      f"{pct(smed('objcache-cold', 1), smed('plain', 1))} "
      f"({smed('objcache-cold', 1):.2f} s vs {smed('plain', 1):.2f} s) "
      f"| at most +3% |")
    w(f"| Peak RSS, cold -O2 compile of sqlite3.c | "
      f"{pct(smed('objcache-cold', 2), smed('plain', 2))} "
      f"({smed('objcache-cold', 2) / 1024:.0f} MiB vs "
      f"{smed('plain', 2) / 1024:.0f} MiB) | at most +5% |")
for o in opts:
    if total(o, "fe", 0):
        w(f"| Warm launcher build / front-end-only build, all projects, "
          f"{OPTS[o]}, wall (CPU) | "
          f"{ratio(total(o, 'objcache-warm', 0), total(o, 'fe', 0))} "
          f"({ratio(total(o, 'objcache-warm', 1), total(o, 'fe', 1))}); "
          f"plugin {ratio(total(o, 'plugin-warm', 0), total(o, 'fe', 0))} "
          f"({ratio(total(o, 'plugin-warm', 1), total(o, 'fe', 1))}) "
          f"| at most 1.3x |")
if single.get("fe"):
    w(f"| Warm / front-end-only, sqlite3.c alone, -O2, wall | "
      f"{ratio(smed('objcache-warm', 0), smed('fe', 0))} "
      f"({smed('objcache-warm', 0):.2f} s vs {smed('fe', 0):.2f} s) "
      f"| at most 1.3x |")
for o in opts:
    if total(o, "ccache-warm", 0):
        w(f"| Warm launcher build / ccache warm build, all projects, "
          f"{OPTS[o]}, wall (CPU) | "
          f"{ratio(total(o, 'objcache-warm', 0), total(o, 'ccache-warm', 0))} "
          f"({ratio(total(o, 'objcache-warm', 1), total(o, 'ccache-warm', 1))}) "
          f"| at most 1.5x (with direct mode) |")
for o in opts:
    for kind, what in (("checkout2", "a second checkout"),
                       ("builddir2", "a second build directory")):
        if total(o, f"ccache-{kind}", 0):
            w(f"| Warm build of {what} / ccache's, {OPTS[o]}, wall (CPU) | "
              f"{ratio(total(o, f'objcache-{kind}', 0), total(o, f'ccache-{kind}', 0))} "
              f"({ratio(total(o, f'objcache-{kind}', 1), total(o, f'ccache-{kind}', 1))}) "
              f"| at most 0.6x |")
edits = defaultdict(lambda: [0, 0])
for p, o, tool, kind, run, wall, user, sys_, rebuilt, hits, misses in rows(
        "edit.tsv"):
    if tool != "plain" and run == "1":
        edits[(o, tool)][0] += int(misses)
        edits[(o, tool)][1] += int(rebuilt)
for o in opts:
    if edits[(o, "objcache")][1]:
        w(f"| Edit scenario (comment, then declaration), all projects, "
          f"{OPTS[o]}: compiles the cache "
          f"recompiled of those make reran (objcache / ccache) | "
          f"{edits[(o, 'objcache')][0]} of {edits[(o, 'objcache')][1]} / "
          f"{edits[(o, 'ccache')][0]} of {edits[(o, 'ccache')][1]} | "
          f"none where the IR does not change |")
for tool in ("objcache", "ccache"):
    mine = [v for k, v in objects.items()
            if k[2].split("-")[0] in ((tool, "plugin", "single")
                                      if tool == "objcache" else (tool,))]
    w(f"| {tool} objects identical to plain clang's (every mode, edit, run "
      f"and project) | {sum(v[0] for v in mine)} of "
      f"{sum(v[1] for v in mine)} | "
      f"{'all' if tool == 'objcache' else '(for comparison)'} |")
results = [r for v in smoke.values() for r in v]
w(f"| Smoke tests passed on the cached builds | "
  f"{results.count('pass')} of {len(results)} | all |")
w("")

w("## Builds\n")
w("Median wall and CPU (user + sys) seconds of a complete build from a "
  "clean tree. `x plain` divides by plain clang's median, `x ccache` by "
  "ccache's in the same state (cold or warm). Hits/misses are the cache's "
  "own counters for one build. Objects: identical to plain clang's, over "
  "all runs.\n")
for o in opts:
    for p in projects + ["all projects"]:
        allp = p == "all projects"
        w(f"### {p}, {OPTS[o]}\n")
        w("| Mode | Wall s | CPU s | Wall x plain | CPU x plain "
          "| Wall x ccache | CPU x ccache | Hits/misses | Objects |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")

        def get(m, i):
            return total(o, m, i) if allp else med(p, o, m, i)

        for m, label in MODES:
            if not (total(o, m, 0) if allp else times[(p, o, m)]):
                continue
            peer = CCACHE_PEER.get(m)
            vs_cc = ("-", "-")
            if peer:
                vs_cc = (ratio(get(m, 0), get(peer, 0)),
                         ratio(get(m, 1), get(peer, 1)))
            hm = objs = "-"
            if not allp:
                c = counts[(p, o, m)][-1]
                hm = "-" if c[0] == "-" else f"{c[0]}/{c[1]}"
                if (p, o, m) in objects:
                    objs = "{} of {}".format(*objects[(p, o, m)])
            else:
                s = [objects[(q, o, m)] for q in projects
                     if (q, o, m) in objects]
                if s:
                    objs = f"{sum(x[0] for x in s)} of {sum(x[1] for x in s)}"
            w(f"| {label} | {get(m, 0):.2f} | {get(m, 1):.2f} | "
              f"{ratio(get(m, 0), get('plain', 0))} | "
              f"{ratio(get(m, 1), get('plain', 1))} | {vs_cc[0]} | "
              f"{vs_cc[1]} | {hm} | {objs} |")
        w("")

edit = defaultdict(list)
for p, o, tool, kind, run, wall, user, sys_, rebuilt, hits, misses in rows(
        "edit.tsv"):
    edit[(p, o, kind, tool)].append((float(wall), float(user) + float(sys_),
                                     hits, misses, int(rebuilt)))
if edit:
    w("## Edit scenario\n")
    w("After a build, one widely included header (lua5.4: "
      "`src/luaconf.h`, sqlite3: `sqlite3.h`, zstd: `lib/common/mem.h`, "
      "tinyxml2: `tinyxml2.h`) gets a comment appended and make rebuilds "
      "what depends on it; then it gets a declaration nothing uses "
      "(`extern int ...;`) and make rebuilds again. Neither edit changes "
      "the code; with `-g` the header's MD5 checksum in the debug line "
      "table can change. Plain clang does the same rebuilds, and its "
      "objects are the reference. Misses and hits are the cache's own "
      "counters (ccache does not count every compile, neither counts "
      "assembly files); counts are from the last run. ccache's "
      "preprocessor mode hides a comment, not a declaration.\n")
    w("| Project | Flags | Edit | Tool | Objects rebuilt by make "
      "| Cache misses (recompiles) | Cache hits | Wall s | CPU s "
      "| Objects identical to plain |")
    w("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for (p, o, kind, tool), v in sorted(
            edit.items(), key=lambda kv: (projects.index(kv[0][0]),
                                          list(OPTS).index(kv[0][1]),
                                          kv[0][2] != "comment",
                                          ["plain", "ccache", "objcache"]
                                          .index(kv[0][3]))):
        h, m, n = v[-1][2], v[-1][3], v[-1][4]
        objs = "-"
        if (p, o, f"{tool}-{kind}") in objects:
            objs = "{} of {}".format(*objects[(p, o, f"{tool}-{kind}")])
        w(f"| {p} | {OPTS[o]} | {kind} | {tool} | {n} | {m} | {h} | "
          f"{median([x[0] for x in v]):.2f} | "
          f"{median([x[1] for x in v]):.2f} | {objs} |")
    w("")

if single.get("plain"):
    w("## The largest compile: sqlite3.c at -O2\n")
    w(f"One compile of the amalgamation (`make sqlite3.o`), medians of "
      f"{len(single['plain'])} runs; peak RSS is the compiler's maximum "
      f"resident set (GNU time `%M`).\n")
    w("| Mode | Wall s | CPU s | Peak RSS MiB | CPU x plain | RSS x plain |")
    w("| --- | ---: | ---: | ---: | ---: | ---: |")
    for m, label in MODES:
        if single[m]:
            w(f"| {label} | {smed(m, 0):.2f} | {smed(m, 1):.2f} | "
              f"{smed(m, 2) / 1024:.0f} | {ratio(smed(m, 1), smed('plain', 1))}"
              f" | {ratio(smed(m, 2), smed('plain', 2))} |")
    w("")

print("\n".join(out))

"""check-man.py MAN OBJCACHE: the manual page documents exactly the options
of `objcache --help` and the settings of `objcache --show-config`, in the
same order for the settings, each with its environment variable and the
default that --show-config shows. Prints what it checked; exits 1 naming
the first disagreement, so an option or setting added to the code without
its entry in docs/objcache.1.in fails here.

A settings entry in the page reads (see docs/objcache.1.in):
    .TP
    .B name
    .RB ( OBJCACHE_NAME ;
    default
    .BR value )            or a third line "default empty)"
"""
import os
import re
import subprocess
import sys

man_path, tool = sys.argv[1], sys.argv[2]
scratch = os.environ["OC_SCRATCH"]  # an empty cache dir of the test's own


def plain(roff):
    """Text of a roff line: macro name, font escapes and quotes removed."""
    text = re.sub(r"^\.[A-Z]+\s*", "", roff)
    text = re.sub(r"\\f[BIRP]|\\c", "", text)
    return text.replace("\\-", "-").replace('"', "").replace("\\e", "\\")


lines = open(man_path).read().splitlines()
sections, current = {}, None
for line in lines:
    if line.startswith(".SH"):
        current = plain(line).strip()
        sections[current] = []
    elif current:
        sections[current].append(line)


def entries(section):
    """(tag line, following lines) of each .TP in a section."""
    body, out = sections[section], []
    for i, line in enumerate(body):
        if line == ".TP":
            rest = []
            for nxt in body[i + 2:]:
                if nxt == ".TP":
                    break
                rest.append(nxt)
            out.append((body[i + 1], rest))
    return out


def fail(message):
    sys.exit("objcache.1 and the tool disagree: " + message)


def run(*args, env=None):
    return subprocess.run([tool, *args], capture_output=True, text=True,
                          env=env)


# ---- options ----
help_text = run("--help").stdout
in_help, options_block = [], False
for line in help_text.splitlines():
    if line == "Options:":
        options_block = True
    elif options_block and not line.strip():
        break
    elif options_block and line.lstrip().startswith("-"):
        spelled = re.split(r"\s{2,}", line.strip())[0]
        in_help += [w.rstrip(",") for w in spelled.split() if w.startswith("-")]
in_man = []
for tag, _ in entries("OPTIONS"):
    in_man += [w.rstrip(",") for w in plain(tag).split() if w.startswith("-")]
for opt in in_help:
    if opt not in in_man:
        fail(f"--help has {opt}, OPTIONS does not")
for opt in in_man:
    if opt not in in_help:
        fail(f"OPTIONS has {opt}, --help does not")
print("options:", " ".join(in_help))

# ---- settings ----
base_env = {k: v for k, v in os.environ.items() if not k.startswith("OBJCACHE_")}
base_env["OBJCACHE_DIR"] = scratch


def show_config(extra):
    """{name: (value, origin)} from --show-config, None when it refused."""
    out = run("--show-config", env={**base_env, **extra})
    if out.returncode != 0:
        return None
    found = {}
    for line in out.stdout.splitlines():
        m = re.match(r"(\S+)\s+= (.*?)\s*\(([^()]*)\)$", line)
        if m:
            found[m.group(1)] = (m.group(2).strip(), m.group(3))
    return found


defaults = show_config({})
settings = entries("SETTINGS")
names = [plain(tag).strip() for tag, _ in settings]
if names != list(defaults):
    fail(f"SETTINGS lists {names}, --show-config {list(defaults)}")
for (tag, rest), name in zip(settings, names):
    m = re.fullmatch(r"\.RB \( (OBJCACHE_\w+) ;", rest[0] if rest else "")
    if not m:
        fail(f"{name}: the entry's second line is not '.RB ( OBJCACHE_... ;'")
    env = m.group(1)
    if rest[1] == "default empty)":
        documented = ""
    elif rest[1] == "default" and rest[2].startswith(".BR ") and rest[2].endswith(" )"):
        documented = plain(rest[2][:-2]).strip()
    else:
        fail(f"{name}: no 'default' line after the variable")
    shown = defaults[name][0]
    # cache_dir's default depends on the environment; the page gives the rule.
    if name != "cache_dir" and documented != shown:
        fail(f"{name}: the page says default '{documented}', "
             f"--show-config '{shown}'")
    # The variable is the setting's own: set to a valid value, it becomes
    # the origin --show-config names.
    value = scratch if name == "cache_dir" else re.sub(r" \(.*\)$", "", shown)
    seen = show_config({env: value}) if value != "unset" else None
    if seen is None:  # a default shown in a form it does not parse
        seen = show_config({env: "022" if name == "umask" else "1"})
    if seen is None or seen[name][1] != "environment: " + env:
        fail(f"{name}: {env} does not set it "
             f"({seen[name][1] if seen else 'refused'})")
    print(f"setting: {name} {env} default '{documented}'")

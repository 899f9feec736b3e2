# lit configuration for objcache's end-to-end tests.
#
# Substitutions:
#   %clang      clang-22
#   %plugin     -fpass-plugin=<build>/lib/objcache.so
#   %objcache   the objcache command-line tool
#   %inputs     test/lit/Inputs
#   %two_threads  the two-compilations-in-one-process driver (test/threads)
#   %entry_tool   lists or edits an entry's outputs (test/tools)
#   %python     the Python running lit (for small file surgery in tests)
#   %{obj_root} the build tree (install and package tests)
# Each test gets a private, empty cache dir through OBJCACHE_DIR=%t.cache
# set by the test itself; nothing from the user's environment leaks in.
import os
import shutil
import sys
import lit.formats

config.name = "objcache"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".c", ".cpp", ".test"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.objcache_obj_root, "test", "lit")

plugin = os.path.join(config.objcache_obj_root, "lib", "objcache.so")
tool = os.path.join(config.objcache_obj_root, "bin", "objcache")
config.substitutions.append(("%clang", config.clang))
# Longest first: lit substitutes in order, so %plugin would eat %plugin_path.
config.substitutions.append(("%plugin_path", plugin))
config.substitutions.append(("%plugin", "-fpass-plugin=" + plugin))
config.substitutions.append(("%objcache", tool))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(
    ("%two_threads", os.path.join(config.objcache_obj_root, "bin", "oc-two-threads")))
config.substitutions.append(
    ("%entry_tool", os.path.join(config.objcache_obj_root, "bin", "oc-entry-tool")))
config.substitutions.append(
    ("%inputs", os.path.join(config.test_source_root, "Inputs")))
config.substitutions.append(
    ("%scripts", os.path.join(config.objcache_src_root, "utils", "scripts")))
config.substitutions.append(
    ("%roundtrip", os.path.join(config.test_source_root, "Inputs", "roundtrip.sh")))

# Only what the tests need: a clean environment keeps user settings out.
for name in list(config.environment):
    if name.startswith("OBJCACHE_") or name.startswith("CCC_"):
        del config.environment[name]
config.environment["PATH"] = os.pathsep.join(
    [config.llvm_tools_dir, os.environ.get("PATH", "")])
config.environment["HOME"] = os.environ.get("HOME", "/tmp")
# The tests' PATH, for tests that put something in front of it.
config.substitutions.append(("%{path}", config.environment["PATH"]))
# The build tree, for tests of `cmake --install` and the Debian package.
config.substitutions.append(("%{obj_root}", config.objcache_obj_root))
# For the helper scripts in Inputs/.
config.environment["OC_CLANG"] = config.clang
config.environment["OC_PLUGIN"] = plugin
config.environment["OC_TOOL"] = tool
config.environment["OC_ENTRY_TOOL"] = os.path.join(
    config.objcache_obj_root, "bin", "oc-entry-tool")

# Tests that make device files (mknod) run only as root, as CI does.
if os.geteuid() == 0:
    config.available_features.add("root")

# Tests that run a command as another user (a uid without a passwd entry):
# only where that user can reach the build tree (a checkout inside a 0700
# directory, as `mktemp -d` makes, is out of its reach).
def other_user_reaches_build():
    import subprocess
    try:
        return subprocess.run(
            ["setpriv", "--reuid=54321", "--regid=54321", "--clear-groups",
             "sh", "-c", 'test -x "$1" && test -x "$2"', "sh", tool,
             config.test_exec_root],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False

if (hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("setpriv")
        and other_user_reaches_build()):
    config.available_features.add("root-setpriv")

# test/lit/remote/tls-tunnel.test runs the documented spiped tunnel.
if shutil.which("spiped"):
    config.available_features.add("spiped")

# test/lit/remote/ starts its own redis-server (CI installs it).
if shutil.which("redis-server") and shutil.which("redis-cli"):
    config.available_features.add("redis")

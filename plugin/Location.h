//===- Location.h - Does the module name where the compile ran? -----------===//
//
// Direct mode keys a compile without its working directory and output
// paths (and, with base_dir, with paths under the base dirs relative), so
// that other build directories and checkouts find the same candidates.
// That is right only for a compile whose object cannot tell where it ran.
// Rather than guess from options, the plugin asks the module: when any
// string it holds (debug info, __FILE__ and other constant strings, the
// source file name, inline assembly, command-line records) contains the
// working directory, a base dir or an output path, the launcher binds the
// candidate to this location (see utils/direct.c).
//
//===----------------------------------------------------------------------===//
#ifndef OBJCACHE_PLUGIN_LOCATION_H
#define OBJCACHE_PLUGIN_LOCATION_H

#include <string>
#include <vector>

namespace clang {
class CompilerInstance;
} // namespace clang
namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace objcache {

// The strings that name this compile's location: the working directory
// (as $PWD and physically), each of base_dir's directories, the -o and
// dependency-file paths as given.
std::vector<std::string> locationNeedles(const clang::CompilerInstance &CI,
                                         const char *BaseDirs);

// Whether a pass or clang plugin other than objcache is loaded.
bool otherPluginsLoaded(const clang::CompilerInstance &CI);

// Where the object compiled from M by TM would name one of Needles ("debug
// info", "a constant string", ...), or "" when nowhere. OtherPlugins: a
// plugin besides objcache is loaded (it could read any name).
std::string moduleNamesLocation(const llvm::Module &M,
                                const llvm::TargetMachine &TM,
                                bool OtherPlugins,
                                const std::vector<std::string> &Needles);

} // namespace objcache

#endif

//===- DirectRecord.h - What the front end read, for direct mode ----------===//
//
// When the launcher runs clang after a direct-mode miss it sets
// OBJCACHE_DIRECT_RECORD=<path>. The plugin then watches every file-system
// lookup of the front end (through a FileSystemStatCache installed in the
// FileManager) and, at the end of a compile whose object is in the store,
// writes to <path> the IR-level key, the files the compile really writes,
// every file the front end read or found and every path it looked up and
// did not find. The launcher records a candidate only when those outputs are
// the ones it computed from the command line itself, and turns the rest into
// a manifest candidate (hashing, timestamps, stderr, dependency list); all
// storage stays in lib/.
//
// Record format, one item per line:
//   objcache-direct-record 2
//   key <64 hex digits>
//   output <absolute path>      (FrontendOptions::OutputFile)
//   depfile <absolute path>     (DependencyOutputOptions::OutputFile, if any)
//   target <target>             (each .d target, quoted as cc1 got it)
//   depmain <n>                 (the main file's index among the deps)
//   dep <name>                  (each name clang puts in the .d, in order)
//   side <what>                 (another file the compile writes)
//   read <path>                 (any number)
//   absent <path>               (any number)
//   location <where>            (at most one)
//   sideoutput <name> <absolute path>
//                               (a side output objcache caches: the entry's
//                               output <name>, written there on a hit)
//   store                       (LLVM IR or bitcode output: the launcher
//                               stores the finished output under the key)
//   end
// Paths are as the front end looked them up: relative ones are relative to
// the working directory (another checkout with the same arguments looks up
// the same relative names). "location" says the module names the working
// directory, a base dir or an output path (Location.h), so the candidate
// must not serve a compile elsewhere.
//
//===----------------------------------------------------------------------===//
#ifndef OBJCACHE_PLUGIN_DIRECTRECORD_H
#define OBJCACHE_PLUGIN_DIRECTRECORD_H

#include "clang/Frontend/Utils.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace clang {
class CompilerInstance;
} // namespace clang

namespace objcache {

// The names clang's dependency file generator puts into the .d file: the
// same DependencyCollector callbacks and the same filter
// (DependencyFileGenerator::sawDependency), so the list is the one clang
// writes, in its order. The launcher still compares the .d it generates
// from this list with clang's file before recording.
class DepFileList : public clang::DependencyCollector {
public:
  explicit DepFileList(const clang::DependencyOutputOptions &Opts);
  bool needSystemDependencies() override { return IncludeSystemHeaders; }
  bool sawDependency(llvm::StringRef Filename, bool FromModule, bool IsSystem,
                     bool IsModuleFile, bool IsMissing) override;

  unsigned InputFileIndex = 0; // the main file's place (after extra deps)
  bool SeenMissingHeader = false;

private:
  bool IncludeSystemHeaders, AddMissingHeaderDeps, IncludeModuleFiles;
};

// Paths seen by the stat cache; shared with the FileManager that owns the
// cache, which may outlive the compile state.
struct LookupLog {
  std::set<std::string> Found;   // regular files that exist
  std::set<std::string> Missing; // paths that do not
  // __DATE__, __TIME__ or __TIMESTAMP__ was expanded: the IR depends on the
  // clock or on a file's mtime, which no manifest candidate can check.
  bool ReadsClock = false;
};

class DirectRecorder {
public:
  // Starts recording for this compile when OBJCACHE_DIRECT_RECORD is set;
  // returns null otherwise.
  static std::unique_ptr<DirectRecorder> start(clang::CompilerInstance &CI);

  // True when the compile expanded a clock-dependent macro: such a compile
  // must not become a candidate (the launcher would replay a stale date).
  bool readsClock() const { return Log->ReadsClock; }

  // Writes the record with the IR-level key, the files named by options
  // (the "file" factor) and the "output"/"store" lines of OutputLines.
  // Returns false with a reason on failure.
  bool write(clang::CompilerInstance &CI, const std::string &KeyHex,
             const std::vector<std::string> &OptionFiles,
             const std::vector<std::string> &OutputLines, std::string &Error);

  // Where the module names the compile's location, or "" (Location.h).
  void setLocation(std::string Where) { Location = std::move(Where); }

private:
  std::string Path;
  std::string Location;
  std::shared_ptr<LookupLog> Log;
  std::shared_ptr<DepFileList> Deps; // when clang writes a .d file
};

} // namespace objcache

#endif

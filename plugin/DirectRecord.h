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
//   read <absolute path>        (any number)
//   absent <absolute path>      (any number)
//   end
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

  // Writes the record with the IR-level key and the files named by options
  // (the "file" factor). Returns false with a reason on failure.
  bool write(clang::CompilerInstance &CI, const std::string &KeyHex,
             const std::vector<std::string> &OptionFiles, std::string &Error);

private:
  std::string Path;
  std::shared_ptr<LookupLog> Log;
  std::shared_ptr<DepFileList> Deps; // when clang writes a .d file
};

} // namespace objcache

#endif

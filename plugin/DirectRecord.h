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
// The record's format, its encoder and the launcher's decoder are lib's
// (objcache/direct.h); this file fills its fields from Clang's objects.
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

// cwd + Path with ".", ".." and empty components removed (LLVM's
// make_absolute + remove_dots), by lib's oc_path_clean: the one spelling
// of an output path the launcher and `objcache --explain` also use.
std::string cleanAbsolute(llvm::StringRef Path);

// A side output objcache caches: the entry's output Name, at Path.
struct RecordedOutput {
  std::string Name, Path;
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
  // (the "file" factor), the cached side outputs and whether the launcher
  // stores the output (LLVM IR or bitcode). Returns false with a reason on
  // failure.
  bool write(clang::CompilerInstance &CI, const std::string &KeyHex,
             const std::vector<std::string> &OptionFiles,
             const std::vector<RecordedOutput> &Outputs, bool LauncherStores,
             std::string &Error);

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

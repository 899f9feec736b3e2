//===- DirectRecord.h - What the front end read, for direct mode ----------===//
//
// When the launcher runs clang after a direct-mode miss it sets
// OBJCACHE_DIRECT_RECORD=<path>. The plugin then watches every file-system
// lookup of the front end (through a FileSystemStatCache installed in the
// FileManager) and, at the end of a compile whose object is in the store,
// writes to <path> the IR-level key, every file the front end read or found
// and every path it looked up and did not find. The launcher turns that into
// a manifest candidate (hashing, timestamps, stderr, dependency file); all
// storage stays in lib/.
//
// Record format, one item per line:
//   objcache-direct-record 1
//   key <64 hex digits>
//   read <path>                 (any number)
//   absent <path>               (any number)
//   location <where>            (at most one)
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

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace clang {
class CompilerInstance;
} // namespace clang

namespace objcache {

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

  // Where the module names the compile's location, or "" (Location.h).
  void setLocation(std::string Where) { Location = std::move(Where); }

private:
  std::string Path;
  std::string Location;
  std::shared_ptr<LookupLog> Log;
};

} // namespace objcache

#endif

//===- CompileState.h - What objcache knows about one compilation ---------===//
//
// One CompileState lives for exactly one translation unit: it is created by
// the frontend hook before parsing and destroyed with that hook's AST
// consumer, after code generation. The pass-builder callbacks find it through
// a thread-local pointer, so two compilations on two threads never see each
// other's state, and a TU whose front end failed cannot leak into the next.
//
//===----------------------------------------------------------------------===//
#ifndef OBJCACHE_PLUGIN_COMPILESTATE_H
#define OBJCACHE_PLUGIN_COMPILESTATE_H

extern "C" {
#include "objcache/buffer.h"
#include "objcache/config.h"
#include "objcache/entry.h"
#include "objcache/hash.h"
#include "objcache/session.h"
#include "objcache/stats.h"
}

#include "DirectRecord.h"

#include "llvm/ADT/SmallVector.h"
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace clang {
class CompilerInstance;
} // namespace clang

namespace objcache {

// A file the compile writes beside the object (SideOutputs.h): split DWARF,
// coverage notes, stack usage, optimization records.
struct SideOutput {
  std::string Name;    // its output name in the entry ("dwo", "su", ...)
  std::string Path;    // where clang writes it, as clang has it
  bool Absent = false; // the compile writes no such file
  std::string Bytes;   // on a miss: what the compile wrote
};

// Pending: nothing decided yet. Lookup: a miss, code generation to come.
enum class Outcome { Pending, Lookup, Hit, Miss, Uncacheable, Error, Disabled };

// Verify mode (Verify.h): Running from the sampled hit to the comparison.
enum class VerifyState { Off, Running, Checked, Mismatch };

struct CompileState {
  clang::CompilerInstance *CI = nullptr;

  // Settled by the frontend hook.
  oc_config Config{};
  bool ConfigLoaded = false;
  std::string SourcePath; // the main input, as given
  std::string OutputPath; // absolute path of the object, "-" for stdout
  std::optional<oc_stat> UncacheableReason;
  std::string UncacheableDetail;
  std::vector<SideOutput> SideOutputs; // every output beside the object
  // LLVM IR or bitcode output (-emit-llvm, -flto): no pre-codegen hook, so
  // only the launcher can store and serve it (docs/design.md).
  bool BitcodeOutput = false;
  // Such a compile, through the launcher and clean: the record asks the
  // launcher to store the output, and the launcher counts the outcome.
  bool LauncherStores = false;

  // Settled at pipeline start.
  Outcome Result = Outcome::Pending;
  oc_digest Key{};
  std::string KeyHex;
  std::string FactorRecord; // for the history and the entry's writer record
  oc_entry_contents Cached{}; // every output to serve on a hit
  oc_entry_meta CachedMeta{};
  VerifyState Verify = VerifyState::Off;
  bool BackendDiagnosed = false; // a warning/error/remark after the front end
  bool StartSeen = false;        // the pipeline-start pass ran
  bool CodeGenSeen = false;      // the pre-codegen callback ran
  // A miss whose outputs are complete only at the end of the compile (the
  // optimization record is closed by clang after code generation): the
  // entry is stored then, by storeOutputs().
  bool StorePending = false;
  llvm::SmallVector<char, 0> Object; // a miss's object, until stored
  uint64_t CompileTimeMs = 0;        // what a hit on this miss will save
  // The reporting of this compile (stats delta, warnings, log, history,
  // the store handle): opened by openSession, closed by finish().
  oc_session *Session = nullptr;
  std::chrono::steady_clock::time_point PipelineStart;
  std::chrono::steady_clock::time_point CompileStart;

  // Direct mode: set when the launcher asked for a record of the files the
  // front end read; NamedFiles are the files option values name.
  std::unique_ptr<DirectRecorder> Direct;
  std::vector<std::string> NamedFiles;

  ~CompileState();

  // Opens the session, over Config once ConfigLoaded (else it only prints).
  void openSession();
  void markUncacheable(oc_stat Reason, std::string Detail);
  // A cache fault: one warning line on stderr, counted in `errors`.
  void reportError(const std::string &Message);
  // A fault the compile survives with the cache still working (a corrupt
  // entry, removed): one warning line, counted in `errors`.
  void noteFault(const std::string &Message);
  // A warning line the outcome counts (or nothing does), once per text.
  void warn(const std::string &Message);
  // Whether a warning line of objcache's own was printed.
  bool warned() const;
  // The session's store (opened on first use), or null with Err set;
  // releaseStore() closes it, reporting its warning as a fault and adding
  // its remote traffic to the stats delta.
  oc_store *store(oc_error &Err);
  void releaseStore();
  // Adds the outcome to the stats and the log, keeps the history, writes
  // the stats delta; called once, at the end.
  void finish();
  // Writes the direct-mode record when the launcher asked for one.
  void recordForDirectMode();
  // Keeps the factor record for --explain, and logs why a miss missed.
  void recordHistory();
};

// The state of the compilation running on this thread, or null.
CompileState *currentState();
void setCurrentState(CompileState *State);

} // namespace objcache

#endif

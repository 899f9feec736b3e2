//===- CompileState.cpp - Per-compilation state, outcome and reporting ----===//
//
// The outcome of a compilation (hit, miss, uncacheable, error) is decided in
// Plugin.cpp; this file turns it into statistics, the log line and the
// --explain history, once per translation unit.
//
//===----------------------------------------------------------------------===//
#include "CompileState.h"

extern "C" {
#include "objcache/history.h"
#include "objcache/log.h"
#include "objcache/misses.h"
}

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace objcache {

static thread_local CompileState *Current = nullptr;

CompileState *currentState() { return Current; }
void setCurrentState(CompileState *State) { Current = State; }

CompileState::~CompileState() { oc_entry_contents_free(&Cached); }

void CompileState::markUncacheable(oc_stat Reason, std::string Detail) {
  Result = Outcome::Uncacheable;
  UncacheableReason = Reason;
  UncacheableDetail = std::move(Detail);
}

void CompileState::reportError(const std::string &Message) {
  // Printed directly, not through clang's diagnostics: -Werror must never
  // turn a cache fault into a failed build.
  llvm::errs() << "objcache: warning: " << Message
               << "; compiling without the cache\n";
  Warned = true;
  Result = Outcome::Error;
}

void CompileState::noteFault(const std::string &Message) {
  llvm::errs() << "objcache: warning: " << Message << "\n";
  Warned = true;
  ++Faults;
}

static const char *outcomeName(Outcome Result) {
  switch (Result) {
  case Outcome::Hit:
    return "hit";
  case Outcome::Miss:
    return "miss";
  case Outcome::Uncacheable:
    return "uncacheable";
  case Outcome::Error:
    return "error";
  default:
    return "none";
  }
}

void CompileState::recordForDirectMode() {
  // Only a result that is in the store, from a compile that printed nothing
  // of objcache's own: the launcher replays this compile's stderr on every
  // direct hit.
  bool Stored = Result == Outcome::Hit || Result == Outcome::Miss ||
                (Result == Outcome::Lookup && LauncherStores);
  if (!Direct || !CI || KeyHex.empty() || Warned || Faults || !Stored ||
      Direct->readsClock())
    return;
  std::vector<RecordedOutput> Outputs;
  for (const SideOutput &Out : SideOutputs) {
    llvm::SmallString<256> Path(Out.Path);
    llvm::sys::fs::make_absolute(Path);
    llvm::sys::path::remove_dots(Path); // ".." stays: it may cross a symlink
    Outputs.push_back({Out.Name, Path.str().str()});
  }
  // The launcher stores LLVM IR and bitcode itself (Plugin.cpp, classify).
  std::string Error;
  if (!Direct->write(*CI, KeyHex, NamedFiles, Outputs, LauncherStores, Error) &&
      Error.find("newline") == std::string::npos)
    llvm::errs() << "objcache: warning: cannot record the files read for "
                    "direct mode: "
                 << Error << "\n";
}

void CompileState::finish() {
  oc_entry_contents_free(&Cached);
  if (Result == Outcome::Pending || Result == Outcome::Lookup ||
      Result == Outcome::Disabled || !ConfigLoaded) {
    if (LauncherStores)
      recordForDirectMode();
    // No outcome to count, but the remote traffic happened.
    if (ConfigLoaded)
      (void)oc_stats_add(Config.cache_dir, &StoreStats, nullptr);
    return;
  }

  oc_stats Delta = StoreStats;
  switch (Result) {
  case Outcome::Hit:
    Delta.value[OC_STAT_HITS] = 1;
    // A verified hit compiled all the same: it saved nothing.
    if (Verify == VerifyState::Off)
      Delta.value[OC_STAT_TIME_SAVED_MS] = CachedMeta.compile_time_ms;
    Delta.value[OC_STAT_VERIFY_CHECKED] = Verify == VerifyState::Checked;
    Delta.value[OC_STAT_VERIFY_MISMATCHES] = Verify == VerifyState::Mismatch;
    break;
  case Outcome::Miss:
    Delta.value[OC_STAT_MISSES] = 1;
    break;
  case Outcome::Uncacheable:
    Delta.value[OC_STAT_UNCACHEABLE] = 1;
    Delta.value[UncacheableReason.value_or(OC_STAT_UNCACHEABLE_OTHER)] = 1;
    break;
  default:
    Delta.value[OC_STAT_ERRORS] = 1;
    break;
  }
  Delta.value[OC_STAT_ERRORS] += Faults;
  recordForDirectMode();
  oc_error Err{};
  // After a reported fault the stats are likely unwritable too: one warning
  // line per compile is enough. A read_only cache is expected to be
  // unwritable (a shared cache others fill): its stats are best effort,
  // never a warning on every compile.
  if (oc_stats_add(Config.cache_dir, &Delta, &Err) != OC_OK && !Warned &&
      !Config.read_only) {
    llvm::errs() << "objcache: warning: cannot update statistics: "
                 << Err.message << "\n";
    Warned = true;
  }

  if (Config.logfile[0]) {
    auto Elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - CompileStart);
    std::string Reason = UncacheableDetail.empty() ? "-" : UncacheableDetail;
    if (oc_log_compile(&Config, SourcePath.c_str(),
                       KeyHex.empty() ? "-" : KeyHex.c_str(),
                       outcomeName(Result), Reason.c_str(),
                       static_cast<uint64_t>(Elapsed.count()), &Err) != OC_OK)
      llvm::errs() << "objcache: warning: cannot write log: " << Err.message
                   << "\n";
  }

  recordHistory();
}

void CompileState::recordHistory() {
  // Always, not only with debug: --explain and --show-misses work after
  // the fact, for a cost measured in docs/bench.md (well under 1% of a
  // cold build). A miss is explained against the previous record first.
  // After a reported fault the cache dir is likely unwritable too: one
  // warning line per compile is enough.
  // read_only writes nothing into the cache, which may be someone else's
  // and unwritable: no warning on every compile either.
  if (FactorRecord.empty() || OutputPath == "-" || Result == Outcome::Error ||
      Config.read_only)
    return;
  oc_error Err{};
  if (Result == Outcome::Miss &&
      oc_misses_note(&Config, OutputPath.c_str(), FactorRecord.data(),
                     FactorRecord.size(), &Err) != OC_OK &&
      !Warned) {
    llvm::errs() << "objcache: warning: cannot log the miss: " << Err.message
                 << "\n";
    Warned = true;
  }
  if (oc_history_record(&Config, OutputPath.c_str(), FactorRecord.data(),
                        FactorRecord.size(), &Err) != OC_OK &&
      !Warned)
    llvm::errs() << "objcache: warning: cannot record factors: " << Err.message
                 << "\n";
}

} // namespace objcache

//===- CompileState.cpp - Per-compilation state, outcome and reporting ----===//
//
// The outcome of a compilation (hit, miss, uncacheable, error) is decided in
// Plugin.cpp; this file hands it to the compile's session (session.h),
// which turns it into statistics, the log line and the --explain history,
// once per translation unit.
//
//===----------------------------------------------------------------------===//
#include "CompileState.h"

extern "C" {
#include "objcache/session.h"
}

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace objcache {

static thread_local CompileState *Current = nullptr;

CompileState *currentState() { return Current; }
void setCurrentState(CompileState *State) { Current = State; }

CompileState::~CompileState() {
  oc_entry_contents_free(&Cached);
  oc_session_close(Session);
}

// Printed directly, not through clang's diagnostics: -Werror must never
// turn a cache fault into a failed build.
static void printLine(void *, const char *Line) { llvm::errs() << Line; }

void CompileState::openSession() {
  Session =
      oc_session_open(ConfigLoaded ? &Config : nullptr, 0, printLine, nullptr);
}

void CompileState::markUncacheable(oc_stat Reason, std::string Detail) {
  Result = Outcome::Uncacheable;
  UncacheableReason = Reason;
  UncacheableDetail = std::move(Detail);
}

void CompileState::reportError(const std::string &Message) {
  warn(Message + "; compiling without the cache");
  Result = Outcome::Error;
}

void CompileState::noteFault(const std::string &Message) {
  if (Session)
    oc_session_fault(Session, Message.c_str());
}

void CompileState::warn(const std::string &Message) {
  if (Session)
    oc_session_warn(Session, Message.c_str());
}

bool CompileState::warned() const {
  return Session && oc_session_warned(Session);
}

oc_store *CompileState::store(oc_error &Err) {
  oc_store *Store = nullptr;
  if (!Session) {
    oc_fail(&Err, OC_NO_MEMORY, "out of memory");
    return nullptr;
  }
  if (oc_session_store(Session, &Store, &Err) != OC_OK)
    return nullptr;
  return Store;
}

void CompileState::releaseStore() {
  if (Session)
    oc_session_release_store(Session);
}

void CompileState::recordForDirectMode() {
  // Only a result that is in the store, from a compile that printed nothing
  // of objcache's own: the launcher replays this compile's stderr on every
  // direct hit.
  bool Stored = Result == Outcome::Hit || Result == Outcome::Miss ||
                (Result == Outcome::Lookup && LauncherStores);
  if (!Direct || !CI || KeyHex.empty() || warned() || !Stored ||
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
      Result == Outcome::Disabled || !ConfigLoaded || !Session) {
    if (LauncherStores)
      recordForDirectMode();
    // No outcome to count, but the remote traffic happened.
    oc_session_close(Session);
    Session = nullptr;
    return;
  }

  oc_outcome Counted = OC_OUTCOME_ERROR;
  switch (Result) {
  case Outcome::Hit:
    Counted = OC_OUTCOME_HIT;
    // A verified hit compiled all the same: it saved nothing.
    if (Verify == VerifyState::Off)
      oc_session_count(Session, OC_STAT_TIME_SAVED_MS,
                       CachedMeta.compile_time_ms);
    oc_session_count(Session, OC_STAT_VERIFY_CHECKED,
                     Verify == VerifyState::Checked);
    oc_session_count(Session, OC_STAT_VERIFY_MISMATCHES,
                     Verify == VerifyState::Mismatch);
    break;
  case Outcome::Miss:
    Counted = OC_OUTCOME_MISS;
    break;
  case Outcome::Uncacheable:
    Counted = OC_OUTCOME_UNCACHEABLE;
    break;
  default:
    break;
  }
  recordForDirectMode();
  oc_session_set_source(Session, SourcePath.c_str());
  oc_session_set_key(Session, KeyHex.empty() ? nullptr : KeyHex.c_str());
  oc_session_outcome(Session, Counted,
                     UncacheableReason.value_or(OC_STAT_UNCACHEABLE_OTHER),
                     UncacheableDetail.c_str());
  recordHistory();
  oc_session_close(Session);
  Session = nullptr;
}

void CompileState::recordHistory() {
  // Kept at the session's close, after the stats; a miss is explained
  // against the previous record first (oc_session_set_history). read_only
  // writes nothing into the cache, which may be someone else's and
  // unwritable: no warning on every compile either.
  if (FactorRecord.empty() || OutputPath == "-" || Result == Outcome::Error ||
      Config.read_only)
    return;
  oc_session_set_history(Session, OutputPath.c_str(), FactorRecord.data(),
                         FactorRecord.size(), Result == Outcome::Miss);
}

} // namespace objcache

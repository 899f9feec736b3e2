//===- Verify.cpp - Verify mode: recompile a sampled hit and compare ------===//
//
// See Verify.h. The comparison itself is oc_verify_compare, shared with the
// launcher's verify of direct hits, so every output an entry holds is
// compared the same way.
//
//===----------------------------------------------------------------------===//
#include "Verify.h"
#include "CodeGen.h"
#include "CompileState.h"
#include "SideOutputs.h"

extern "C" {
#include "objcache/store.h"
#include "objcache/verify.h"
}

#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

#include <ctime>
#include <vector>

namespace objcache {

bool startVerify(CompileState &State, llvm::Module &M) {
  if (!oc_verify_sample(&State.Config))
    return false;
  State.Verify = VerifyState::Running;
  State.Result = Outcome::Lookup;
  State.PipelineStart = std::chrono::steady_clock::now();
  WatchingDiagnosticHandler::install(M.getContext(), &State.BackendDiagnosed);
  return true;
}

void finishVerify(CompileState &State, llvm::ArrayRef<char> Object) {
  // Counted as the hit it was, at its real cost (no time saved).
  State.Result = Outcome::Hit;
  // The object and the side outputs complete by now (not the optimization
  // record, which clang closes later), on both sides.
  std::vector<oc_verify_output> CachedOutputs, FreshOutputs;
  const oc_entry_output *CachedObject =
      oc_entry_find(&State.Cached, OC_ENTRY_OBJECT);
  CachedOutputs.push_back({OC_ENTRY_OBJECT, CachedObject->data,
                           CachedObject->size});
  FreshOutputs.push_back({OC_ENTRY_OBJECT, Object.data(), Object.size()});
  for (const SideOutput &Out : State.SideOutputs) {
    if (isLateSideOutput(Out))
      continue;
    const oc_entry_output *C = oc_entry_find(&State.Cached, Out.Name.c_str());
    CachedOutputs.push_back({Out.Name.c_str(), C->data, C->size});
    FreshOutputs.push_back({Out.Name.c_str(), Out.Bytes.data(),
                            Out.Absent ? 0 : Out.Bytes.size()});
  }
  const char *Differing =
      oc_verify_compare(CachedOutputs.data(), CachedOutputs.size(),
                        FreshOutputs.data(), FreshOutputs.size());
  if (!Differing) {
    State.Verify = VerifyState::Checked;
    return;
  }
  State.Verify = VerifyState::Mismatch;

  oc_error Err{};
  oc_buffer Writer{};
  bool HaveWriter = false;
  std::string Problem;
  if (oc_store *Store = State.store(Err)) {
    HaveWriter = oc_store_get_record(Store, &State.Key, &Writer, &Err) == OC_OK;
    // A compile with a backend diagnostic is never stored; the wrong entry
    // is still replaced by the fresh object on the next plain miss of it.
    if (!State.BackendDiagnosed) {
      // Replaced with every fresh output at the end of the translation
      // unit, when the last one is complete (storeOutputs in Plugin.cpp).
      auto Elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - State.PipelineStart);
      State.CompileTimeMs = static_cast<uint64_t>(Elapsed.count());
      State.StorePending = true;
    } else {
      Problem = "; the entry is kept: this compile had a backend diagnostic";
    }
    State.releaseStore();
  } else {
    Problem = std::string("; cannot replace the entry: ") + Err.message;
  }

  oc_verify_evidence Evidence{};
  Evidence.key_hex = State.KeyHex.c_str();
  Evidence.output_path = State.OutputPath.c_str();
  Evidence.differing = Differing;
  if (HaveWriter) {
    Evidence.writer_record = reinterpret_cast<const char *>(Writer.data);
    Evidence.writer_record_len = Writer.size;
  }
  if (!State.FactorRecord.empty()) {
    Evidence.fresh_record = State.FactorRecord.data();
    Evidence.fresh_record_len = State.FactorRecord.size();
  }
  Evidence.cached = CachedOutputs.data();
  Evidence.ncached = CachedOutputs.size();
  Evidence.fresh = FreshOutputs.data();
  Evidence.nfresh = FreshOutputs.size();
  char Dir[PATH_MAX];
  std::string Where;
  if (oc_verify_keep(&State.Config, &Evidence, Dir, sizeof Dir, &Err) == OC_OK)
    Where = std::string(" (evidence in ") + Dir + ")";
  else
    Where = std::string(" (cannot keep evidence: ") + Err.message + ")";
  oc_buffer_free(&Writer);

  State.warn(std::string("verify: the cached ") + Differing + " of key " +
             State.KeyHex + " differs from a fresh compile of " +
             State.OutputPath + "; wrote the fresh one" +
             (Problem.empty() ? " and replaced the entry" : Problem) + Where);
}

} // namespace objcache

//===- SideOutputs.h - Files a compile writes beside the object -----------===//
//
// Split DWARF (.dwo), coverage notes (.gcno), stack usage (.su) and
// optimization records (.opt.yaml, .opt.bitstream) are cached with the
// object, as named outputs of one entry. Each is produced at a different
// moment of clang's compile, which decides how it is captured on a miss and
// rewritten on a hit (docs/design.md, "Side outputs"):
//
//   output      written by                       miss: captured   hit: written
//   .gcno       GCOVProfiler, pipeline start     pre-codegen      pre-codegen
//   .dwo, .su   code generation (ours on a miss) pre-codegen      pre-codegen
//   opt record  remark streamer, closed by clang end of the TU    end of the TU
//                after the backend
//
//===----------------------------------------------------------------------===//
#ifndef OBJCACHE_PLUGIN_SIDEOUTPUTS_H
#define OBJCACHE_PLUGIN_SIDEOUTPUTS_H

extern "C" {
#include "objcache/key.h"
}

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/CodeGen.h"
#include <string>
#include <vector>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace objcache {

struct CompileState;
struct SideOutput;

// Output names in the entry.
inline constexpr const char *DwoOutput = "dwo";
inline constexpr const char *GcnoOutput = "gcno";
inline constexpr const char *StackUsageOutput = "su";
inline constexpr const char *OptRecordOutput = "opt-record";

// Written by clang only after code generation (the optimization record):
// captured and rewritten at the end of the translation unit.
bool isLateSideOutput(const SideOutput &Out);

// Frontend hook: lists the side outputs the options ask for.
void collectSideOutputs(CompileState &State);

// Pipeline start, before the key: settles what only the module tells (the
// .gcno is written per compile unit, from the llvm.gcov metadata). False
// with the reason when the layout is not one objcache can reproduce.
bool resolveSideOutputs(CompileState &State, const llvm::Module &M,
                        std::string &Why);

// Key entries for whatever reaches a side output's bytes that is neither
// in the invocation nor in the IR (factor "side-output", docs/key.md).
void addSideOutputFactors(oc_key_builder *Key, const CompileState &State,
                          const llvm::Module &M);

// The names an entry for this compile must hold: the object and each side
// output. Pointers into State.
std::vector<const char *> requiredOutputs(const CompileState &State);

// Miss, in the pre-codegen hook: runs code generation into Object with
// the .dwo and .su captured, writes them where clang would, and captures
// the .gcno GCOVProfiler wrote. False with the reason when code generation
// could not be set up or a side output could not be captured (Fatal: it
// also could not be written, which fails the compile as it would fail
// clang's).
bool codeGenWithSideOutputs(CompileState &State, llvm::Module &M,
                            llvm::TargetMachine &TM,
                            llvm::CodeGenFileType FileType,
                            llvm::SmallVectorImpl<char> &Object,
                            std::string &Why, bool &Fatal);

// Miss, at the end of the translation unit: captures what clang closes
// after code generation (the optimization record).
bool captureLateSideOutputs(CompileState &State, std::string &Why);

// Hit: writes the cached side outputs clang would have written by the
// pre-codegen hook (Late false) or by the end of the translation unit
// (Late true), over whatever clang wrote for the stripped module.
bool writeCachedSideOutputs(const CompileState &State, bool Late,
                            std::string &Why);

} // namespace objcache

#endif

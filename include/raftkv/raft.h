#ifndef RAFTKV_RAFT_H_
#define RAFTKV_RAFT_H_

// The consensus core on its own, for programs that bring their own storage and transport:
// a pure, deterministic state machine (no I/O, threads or clocks). Drive a RawNode with
// Tick() and Step(); for each Ready, persist hard state and entries (Storage), send the
// messages, apply the committed entries, then Advance(). examples/raft_counter.cc is a
// complete replicated counter on it. Messages and entries are the raftpb protobufs
// (raftpb/raft.pb.h, installed with the headers).

#include "raftkv/raft/config.h"    // Config: id, ticks, storage, options
#include "raftkv/raft/raw_node.h"  // RawNode: the node's API
#include "raftkv/raft/ready.h"     // Ready, SoftState
#include "raftkv/raft/storage.h"   // Storage (interface), MemoryStorage

#endif  // RAFTKV_RAFT_H_

#!/usr/bin/env python3
"""Attributes each sample of `perf script -F comm,tid,ip,sym` output of
`switchboard serve` to one stage of the request-to-action path, by the
frames on its stack (the first rule that matches; the most specific come
first), and prints the shares as Markdown table rows.

Usage: perf script -i perf.data -F comm,tid,ip,sym | scripts/perf-buckets.py /dev/stdin
"""
import sys, collections
rules = [
  ("intake: JSON validity check (handlers.payloadOf, validJSON)", ["handlers.payloadOf"]),
  ("intake: Decide: rules.NewEvent (go-github typed parse)", ["pipeline.(*Processor).Decide", "rules.NewEvent"]),
  ("intake: Decide: match, explain, render", ["pipeline.(*Processor).Decide"]),
  ("intake: HMAC (crypto/hmac, sha256)", ["handlers.", "crypto/"]),
  ("intake: other handler work (body read, answer, enqueue wait)", ["handlers.(*intake)"]),
  ("intake: net/http (read body, headers, write answer)", ["net/http.(*conn).serve"]),
  ("store writer: River InsertManyFast (job rows)", ["store.(*Store).flush", "InsertManyFast"]),
  ("store writer: delivery rows", ["store.(*Store).insertDeliveries"]),
  ("store writer: history rows (delivery_results)", ["store.(*Store).writeResults"]),
  ("store writer: action jobs and outcomes", ["store.(*Store).writeActions"]),
  ("store writer: commit (WAL write + fsync)", ["store.(*Store).flush", "Commit"]),
  ("store writer: other", ["store.(*Store).writer"]),
  ("process_delivery: rules.NewEvent (payload decode, go-github typed parse)", ["pipeline.(*Processor).Work", "rules.NewEvent"]),
  ("process_delivery: read delivery back from store", ["pipeline.(*Processor).Work", "store."]),
  ("process_delivery: match + other", ["pipeline.(*Processor).Work"]),
  ("first attempts in-process (pipeline.Inline)", ["pipeline.(*Inline)"]),
  ("grouped outcome and job-end writes", ["store.(*Store).commitGroup"]),
  ("run_action by River (log)", ["pipeline.(*Runner).Work"]),
  ("River: job completion", ["river", "ompleter"]),
  ("River: job fetch (JobGetAvailable)", ["JobGetAvailable"]),
  ("River: executor, producer, other", ["riverqueue/river"]),
  ("GC", ["runtime.gcBgMarkWorker"]),
  ("GC assist / malloc", ["runtime.mallocgc"]),
]
counts = collections.Counter(); total = 0
def flush(stack):
    global total
    if not stack: return
    total += 1
    for name, pats in rules:
        if all(any(p in f for f in stack) for p in pats):
            counts[name] += 1; return
    leaf = stack[0]
    if "[k]" in leaf or leaf.startswith("__") or "unknown" in leaf or leaf.islower() and "." not in leaf:
        counts["kernel / idle / scheduler (no Go frame matched)"] += 1
    else:
        counts["runtime, other"] += 1
stack = []
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line.strip():
        flush(stack); stack = []; continue
    if line[0] not in " \t":
        flush(stack); stack = []; continue
    parts = line.strip().split(" ", 1)
    stack.append(parts[1] if len(parts) > 1 else "?")
flush(stack)
for name, n in counts.most_common():
    print(f"| {name} | {100*n/total:.1f} % |")
print(f"samples: {total}")

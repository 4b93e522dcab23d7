#!/usr/bin/env python3
"""Summarise one JFR recording for the questions bench/README.md's "Profile" section asks.

    python3 bench/jfr_report.py FILE.jfr [--seconds S] [--top N]

Prints: CPU samples by thread (pool names folded) and by layer (the innermost frame of a
known package: grpc/netty, protobuf, log-store, broker, client, record, ratis, jdk); top self
frames; top inclusive methods of io.logbus; top stacks (innermost 8 frames); allocation by class and
by the innermost io.logbus frame; monitor contention (jdk.JavaMonitorEnter) and parks
(jdk.ThreadPark) by class and io.logbus frame, with total wait; fsyncs (jdk.FileForce): count, per
second, duration percentiles, by thread and by file kind; file writes; GC pauses. Uses
`jfr print --json` (the JDK's own tool), once per recording.
"""
import argparse
import collections
import datetime
import json
import re
import subprocess
import sys


WANTED = ["jdk.ExecutionSample", "jdk.ObjectAllocationSample", "jdk.JavaMonitorEnter", "jdk.ThreadPark",
          "jdk.FileForce", "jdk.FileWrite", "jdk.FileRead", "jdk.GarbageCollection"]
_cache = {}


def events(path, name):
    """Events of one type; the recording is printed once (one JVM start) for all wanted types."""
    if path not in _cache:
        out = subprocess.run(["jfr", "print", "--json", "--events", ",".join(WANTED), path],
                             capture_output=True, text=True, check=True).stdout
        by_type = collections.defaultdict(list)
        for e in json.loads(out)["recording"]["events"]:
            by_type[e["type"]].append(e)
        _cache[path] = by_type
    return _cache[path].get(name, [])


def dur_ms(v):
    """JFR JSON durations are ISO-8601 ('PT0.0123S', 'PT1M2S') or numbers of ns."""
    if v is None:
        return 0.0
    if isinstance(v, (int, float)):
        return v / 1e6
    m = re.fullmatch(r"-?PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", v)
    if not m:
        return 0.0
    h, mi, s = m.groups()
    return ((int(h or 0) * 60 + int(mi or 0)) * 60 + float(s or 0)) * 1000


def iso(ts):
    """'2026-11-25T16:56:24.010443253Z' -> datetime (nanoseconds cut to microseconds)."""
    m = re.match(r"(.*T\d\d:\d\d:\d\d)(\.\d+)?Z?$", ts)
    frac = (m.group(2) or ".0")[:7]
    return datetime.datetime.fromisoformat(m.group(1) + frac)


def frames(ev):
    st = ev["values"].get("stackTrace") or {}
    return st.get("frames") or []


def fname(f):
    m = f["method"]
    return m["type"]["name"].replace("/", ".") + "." + m["name"]


def thread_name(ev, key="sampledThread"):
    t = ev["values"].get(key) or ev["values"].get("eventThread") or {}
    n = t.get("javaName") or t.get("osName") or "?"
    # Fold pool members: grpc-default-executor-12 -> grpc-default-executor-N
    return re.sub(r"\d+", "N", n)


LAYERS = [
    ("io.logbus.log.", "log-store"),
    ("io.logbus.record.", "record"),
    ("io.logbus.broker.", "broker-node"),
    ("io.logbus.client.", "client"),
    ("io.logbus.cli.", "cli"),
    ("io.logbus.metadata.", "metadata"),
    ("io.logbus.proto.", "protobuf (generated)"),
    ("io.logbus.", "logbus other"),
    ("com.google.protobuf.", "protobuf"),
    ("io.grpc.netty.shaded.io.netty.", "netty"),
    ("io.netty.", "netty"),
    ("io.grpc.", "grpc"),
    ("org.apache.ratis.", "ratis"),
    ("io.micrometer.", "micrometer"),
    ("org.slf4j.", "logging"),
    ("java.util.zip.", "jdk crc/zip"),
    ("sun.nio.", "jdk nio"),
    ("java.nio.", "jdk nio"),
    ("java.util.concurrent.", "jdk concurrent"),
    ("java.", "jdk other"),
    ("jdk.", "jdk other"),
    ("sun.", "jdk other"),
]


def layer(name):
    for prefix, label in LAYERS:
        if name.startswith(prefix):
            return label
    return "other"


def first_logbus(fr):
    for f in fr:
        n = fname(f)
        if n.startswith("io.logbus.") and not n.startswith("io.logbus.proto."):
            return n + ":" + str(f.get("lineNumber", ""))
    return "(no io.logbus frame)"


def first_library(fr):
    """The innermost io.logbus frame, else the innermost frame outside java./jdk./sun."""
    site = first_logbus(fr)
    if site != "(no io.logbus frame)":
        return site
    for f in fr:
        n = fname(f)
        if not n.startswith(("java.", "jdk.", "sun.")):
            return "(" + n + ")"
    return site


def table(title, counter, total=None, top=15, unit="", fmt="{:>8}"):
    print(f"\n## {title}")
    total = total if total is not None else sum(counter.values())
    for k, v in counter.most_common(top):
        share = f"{100.0 * v / total:5.1f}%" if total else "     -"
        val = fmt.format(round(v, 1) if isinstance(v, float) else v)
        print(f"{val}{unit} {share}  {k}")


def pct(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--seconds", type=float, default=None,
                    help="window length for per-second rates (default: the span of the execution samples)")
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()
    top = a.top
    print(f"# {a.file}")

    # ---- CPU
    ex = events(a.file, "jdk.ExecutionSample")
    n = len(ex)
    starts = sorted(e["values"]["startTime"] for e in ex)
    print(f"\nexecution samples: {n} ({starts[0] if starts else '-'} .. {starts[-1] if starts else '-'})")
    if a.seconds is None and len(starts) > 1:
        a.seconds = max(1.0, (iso(starts[-1]) - iso(starts[0])).total_seconds())
    if a.seconds:
        print(f"rates below are per second of a {a.seconds:.1f} s window")
    by_thread, by_layer, self_f, incl, stacks = (collections.Counter() for _ in range(5))
    by_layer_incl = collections.Counter()
    for e in ex:
        fr = frames(e)
        by_thread[thread_name(e)] += 1
        if not fr:
            continue
        names = [fname(f) for f in fr]
        self_f[names[0]] += 1
        by_layer[layer(names[0])] += 1
        for lab in {layer(x) for x in names}:
            by_layer_incl[lab] += 1
        for x in set(names):
            if x.startswith("io.logbus.") or x.startswith("com.google.protobuf.") or x.startswith("io.grpc."):
                incl[x] += 1
        stacks[" <- ".join(names[:8])] += 1
    table("CPU samples by thread (pool numbers folded to N)", by_thread, n, top=20)
    table("CPU by layer of the innermost frame (self)", by_layer, n)
    table("CPU by layer anywhere on the stack (inclusive; sums > 100%)", by_layer_incl, n)
    table("Top self frames", self_f, n, top=25)
    table("Top inclusive io.logbus / protobuf / grpc methods", incl, n, top=30)
    table("Top stacks (innermost 8 frames)", stacks, n, top=12)

    # ---- Allocation
    try:
        al = events(a.file, "jdk.ObjectAllocationSample")
    except subprocess.CalledProcessError:
        al = []
    by_class, by_site = collections.Counter(), collections.Counter()
    for e in al:
        w = e["values"].get("weight", 0) or 0
        cls = (e["values"].get("objectClass") or {}).get("name", "?").replace("/", ".")
        by_class[cls] += w / 1e6
        by_site[cls + " @ " + first_library(frames(e))] += w / 1e6
    tot = sum(by_class.values())
    rate = f", {tot / a.seconds:.0f} MB/s" if a.seconds else ""
    print(f"\nallocation samples: {len(al)}, sampled weight {tot:.0f} MB{rate}")
    table("Allocation by class (MB)", by_class, tot, fmt="{:>8.1f}")
    table("Allocation by class @ innermost io.logbus (else library) frame (MB)", by_site, tot, top=20, fmt="{:>8.1f}")

    # ---- Locks and parks
    for ev_name, cls_key in (("jdk.JavaMonitorEnter", "monitorClass"), ("jdk.ThreadPark", "parkedClass")):
        try:
            evs = events(a.file, ev_name)
        except subprocess.CalledProcessError:
            evs = []
        by, wait, idle = collections.Counter(), collections.Counter(), 0.0
        for e in evs:
            cls = ((e["values"].get(cls_key) or {}).get("name") or "-").replace("/", ".")
            site = first_logbus(frames(e))
            ms = dur_ms(e["values"].get("duration"))
            if ev_name == "jdk.ThreadPark" and (site == "(no io.logbus frame)" or ".run:" in site):
                # An idle pool or loop thread waiting for work, not a request waiting on something.
                idle += ms
                continue
            key = f"{cls} @ {site} [{thread_name(e, 'eventThread')}]"
            by[key] += 1
            wait[key] += ms
        total_ms = sum(wait.values())
        extra = f" (plus {idle:.0f} ms of idle threads waiting for work, left out)" if idle else ""
        print(f"\n{ev_name}: {len(evs)} events, {total_ms:.0f} ms total wait{extra}")
        shown = collections.Counter({f"{k} x{by[k]}": v for k, v in wait.items()})
        table(f"{ev_name} by wait (ms): class @ innermost io.logbus frame [thread] x events",
              shown, total_ms, fmt="{:>8.0f}")

    # ---- fsync
    ff = events(a.file, "jdk.FileForce")
    d = [dur_ms(e["values"].get("duration")) for e in ff]
    secs = a.seconds
    print(f"\n## fsync (jdk.FileForce): {len(ff)} calls" + (f", {len(ff) / secs:.1f}/s" if secs else "")
          + f"; ms p50 {pct(d, 50):.2f} p90 {pct(d, 90):.2f} p99 {pct(d, 99):.2f} max {max(d) if d else 0:.2f};"
          + f" total {sum(d):.0f} ms")
    kinds, threads = collections.Counter(), collections.Counter()
    for e in ff:
        p = e["values"].get("path") or "?"
        kind = re.sub(r".*/", "", p)
        kind = re.sub(r"^\d+", "<offset>", kind)
        top_dir = "ratis" if "ratis" in p.lower() or "quorum" in p.lower() else "log"
        kinds[f"{top_dir}: {kind}"] += 1
        threads[thread_name(e, "eventThread") + " @ " + first_logbus(frames(e))] += 1
    table("fsync by file kind", kinds, len(ff))
    table("fsync by thread @ caller", threads, len(ff))

    # ---- file writes and reads (every one when the threshold is 0, as profile.sh sets it)
    for ev_name, field in (("jdk.FileWrite", "bytesWritten"), ("jdk.FileRead", "bytesRead")):
        evs = events(a.file, ev_name)
        total = sum((e["values"].get(field) or 0) for e in evs)
        rate = f", {len(evs) / a.seconds:.1f}/s" if a.seconds else ""
        print(f"\n## {ev_name}: {len(evs)} calls{rate}, {total / 1e6:.1f} MB, "
              f"mean {total / len(evs) if evs else 0:.0f} B/call")
        cnt, byt = collections.Counter(), collections.Counter()
        for e in evs:
            k = thread_name(e, "eventThread") + " @ " + first_logbus(frames(e))
            cnt[k] += 1
            byt[k] += e["values"].get(field) or 0
        for k, c in cnt.most_common(8):
            print(f"{c:>8} calls {byt[k] / c:>8.0f} B/call  {k}")

    # ---- GC
    try:
        gc = events(a.file, "jdk.GarbageCollection")
    except subprocess.CalledProcessError:
        gc = []
    pauses = [dur_ms(e["values"].get("sumOfPauses")) for e in gc]
    print(f"\nGC: {len(gc)} collections, pauses total {sum(pauses):.0f} ms, max {max(pauses) if pauses else 0:.1f} ms")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Litmus tests: builds every tests/litmus/*.c and runs it on quiesce for each CPU count and quantum.

    /usr/bin/python3 tests/litmus/run.py --quiesce BUILD/quiesce --build-dir DIR
        [--cpus 2,4,8] [--quanta 1,10,1000] [--only NAME[,NAME...]] [--jobs N]
        [--timeout SECONDS] [--config FILE] [--set KEY=VALUE]... [--list]

Each program checks itself (see litmus.h) and exits 0 when nothing forbidden was
observed. A run passes when it exits 0 within the timeout and its last output
line ends in PASS. One line per run: program, cpus, quantum, host seconds,
verdict, and the program's summary. Exit status 0 when every run passed, 1 when
any failed, 2 on bad use (no toolchain, quiesce missing, unknown program).

--config and --set are handed to `quiesce exec` unchanged (`--config FILE`,
`--set KEY=VALUE` each time given), for binaries that have those options; the
default run uses only --cpus and --quantum.
"""
import argparse
import concurrent.futures
import glob
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GUEST_CC = os.path.join(ROOT, "tools", "guest-cc")


def int_list(s):
    try:
        v = [int(x) for x in s.split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError("expected comma-separated integers: %r" % s)
    if not v or min(v) < 1:
        raise argparse.ArgumentTypeError("expected positive integers: %r" % s)
    return v


def build(name, build_dir):
    elf = os.path.join(build_dir, name + ".elf")
    src = os.path.join(HERE, name + ".c")
    p = subprocess.run([GUEST_CC, "-O2", "-Wall", "-Wextra", "-Werror", "-o", elf, src],
                       capture_output=True, text=True)
    return elf, p.returncode, p.stderr


def run(quiesce, elf, cpus, quantum, extra, timeout):
    cmd = [quiesce, "exec", elf, "--cpus", str(cpus), "--quantum", str(quantum)] + extra
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - t0, "TIMEOUT", "(no result after %d s)" % timeout
    dt = time.perf_counter() - t0
    lines = p.stdout.strip().splitlines()
    summary = lines[-1] if lines else ""
    if p.returncode == 0 and summary.endswith("PASS"):
        return dt, "ok", summary
    err = " | ".join(l for l in p.stderr.strip().splitlines() if l.strip())
    detail = summary + (" [stderr: %s]" % err[:300] if err else "")
    return dt, "FAIL(exit %d)" % p.returncode, detail


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quiesce", required=True, help="the quiesce binary")
    ap.add_argument("--build-dir", required=True, help="where the guest ELFs go")
    ap.add_argument("--cpus", type=int_list, default=[2, 4, 8], help="CPU counts (default 2,4,8)")
    ap.add_argument("--quanta", type=int_list, default=[1, 10, 1000], help="quanta in cycles (default 1,10,1000)")
    ap.add_argument("--only", help="comma-separated program names")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel runs (default: host CPUs)")
    ap.add_argument("--timeout", type=int, default=120, help="seconds per run (default 120)")
    ap.add_argument("--config", help="passed to quiesce exec as --config FILE")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="passed to quiesce exec as --set KEY=VALUE (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the programs and exit")
    a = ap.parse_args()

    names = sorted(os.path.basename(p)[:-2] for p in glob.glob(os.path.join(HERE, "*.c")))
    if a.only:
        want = a.only.split(",")
        unknown = [w for w in want if w not in names]
        if unknown:
            print("litmus: unknown program(s) %s; have %s" % (", ".join(unknown), ", ".join(names)), file=sys.stderr)
            return 2
        names = want
    if a.list:
        print("\n".join(names))
        return 0
    if not os.access(a.quiesce, os.X_OK):
        print("litmus: %s is not an executable" % a.quiesce, file=sys.stderr)
        return 2
    extra = (["--config", a.config] if a.config else []) + [x for kv in a.set for x in ("--set", kv)]

    os.makedirs(a.build_dir, exist_ok=True)
    jobs = max(1, a.jobs)
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        built = dict(zip(names, ex.map(lambda n: build(n, a.build_dir), names)))
    bad = [n for n, (_, rc, _) in built.items() if rc != 0]
    for n in bad:
        print("litmus: building %s failed:\n%s" % (n, built[n][2]), file=sys.stderr)
    if bad:
        return 2

    runs = [(n, c, q) for n in names for c in a.cpus for q in a.quanta]
    t0 = time.perf_counter()
    failures = 0
    print("%-15s %5s %7s %8s  %-12s %s" % ("program", "cpus", "quantum", "seconds", "verdict", "summary"), flush=True)
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        futs = [ex.submit(run, a.quiesce, built[n][0], c, q, extra, a.timeout) for n, c, q in runs]
        for (n, c, q), f in zip(runs, futs):
            dt, verdict, summary = f.result()
            failures += verdict != "ok"
            print("%-15s %5d %7d %8.2f  %-12s %s" % (n, c, q, dt, verdict, summary), flush=True)
    print("litmus: %d runs, %d failed, %.1f s" % (len(runs), failures, time.perf_counter() - t0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

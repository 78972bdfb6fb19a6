#!/usr/bin/python3
"""Differential test: every tests/guest/*.c program, at every variant, built for
both targets, must give the same console output, the same exit code and the
same dynamic instruction count (outside the runtime's target-specific code) on
`quiesce exec` (bare build) and on qemu-ppc64 (linux build).

    run.py --quiesce build/quiesce --build-dir DIR [--only NAME] [--variants O2,O1,...] [--jobs N]
"""
import argparse, concurrent.futures, glob, os, re, subprocess, sys
from importlib.machinery import SourceFileLoader

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
qc = SourceFileLoader("qemu_count", os.path.join(ROOT, "tools", "qemu-count")).load_module()

VARIANTS = {
    "O2": (["-O2"], "power5+"),
    "O1": (["-O1"], "power5+"),
    "O3p5": (["-O3", "-mcpu=power5"], "power5+"),
    "Os970": (["-Os", "-mcpu=970", "-mno-altivec"], "970"),
    "O2v2": (["-O2", "-mcpu=power5", "-mabi=elfv2"], "power5+"),
}
TRACE = re.compile(rb"^\d+ \d+ 0x([0-9a-f]{16}) ")


def guest_cc(target, flags, src, out):
    subprocess.run([os.path.join(ROOT, "tools", "guest-cc"), "--target=" + target, *flags, "-o", out, src], check=True)


def quiesce_run(quiesce, elf, lo, hi):
    p = subprocess.Popen([quiesce, "exec", elf, "--trace", "--max-instructions", "50000000"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    n = 0
    other = []
    for line in p.stderr:
        m = TRACE.match(line)
        if m:
            if not lo <= int(m.group(1), 16) < hi:
                n += 1
        else:
            other.append(line.decode(errors="replace"))
    out = p.stdout.read()
    p.wait()
    return out, p.returncode, n, "".join(other)


def one(quiesce, build_dir, src, tag):
    name = os.path.basename(src)[:-2]
    flags, cpu = VARIANTS[tag]
    bare = os.path.join(build_dir, "%s-%s-bare.elf" % (name, tag))
    linux = os.path.join(build_dir, "%s-%s-linux.elf" % (name, tag))
    guest_cc("bare", flags, src, bare)
    guest_cc("linux", flags, src, linux)
    q_out, q_rc, q_n = qc.count(linux, cpu)
    lo, hi = qc.sys_range(bare)
    s_out, s_rc, s_n, s_err = quiesce_run(quiesce, bare, lo, hi)
    problems = []
    if s_out != q_out:
        problems.append("console differs:\n--- qemu\n%s\n--- quiesce\n%s" % (q_out.decode(errors="replace")[-2000:],
                                                                          s_out.decode(errors="replace")[-2000:]))
    if s_rc != q_rc:
        problems.append("exit code: qemu %d, quiesce %d %s" % (q_rc, s_rc, s_err[-3000:]))
    if s_n != q_n:
        problems.append("instruction count: qemu %d, quiesce %d" % (q_n, s_n))
    return name, tag, q_n, s_n, q_rc, problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quiesce", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--only")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    if not os.access(a.quiesce, os.X_OK):
        sys.exit("differential: no quiesce binary at %s" % a.quiesce)
    os.makedirs(a.build_dir, exist_ok=True)
    sources = sorted(glob.glob(os.path.join(ROOT, "tests", "guest", "*.c")))
    if a.only:
        sources = [s for s in sources if os.path.basename(s)[:-2] == a.only]
    jobs = [(s, t) for s in sources for t in a.variants.split(",")]
    failures = 0
    print("%-22s %-6s %12s %12s %4s  %s" % ("program", "variant", "qemu insns", "quiesce", "exit", "verdict"))
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        for name, tag, q_n, s_n, rc, problems in ex.map(lambda j: one(a.quiesce, a.build_dir, *j), jobs):
            print("%-22s %-6s %12d %12d %4d  %s" % (name, tag, q_n, s_n, rc, "ok" if not problems else "FAIL"))
            for p in problems:
                print("    " + p.replace("\n", "\n    "))
            failures += bool(problems)
    print("%d of %d runs agree" % (len(jobs) - failures, len(jobs)))
    return 1 if failures or not jobs else 0


if __name__ == "__main__":
    sys.exit(main())

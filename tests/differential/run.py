#!/usr/bin/python3
"""Differential test: quiesce against qemu-ppc64 on every guest test program.

Command line (what CTest runs; /usr/bin/python3, from any directory):

    /usr/bin/python3 tests/differential/run.py --quiesce BUILD/quiesce --build-dir BUILD/tests/differential
        [--only NAME[,NAME...]] [--variants TAG[,TAG...]] [--jobs N] [--timeout SECONDS]
        [--dump-words FILE] [--dump-executed-words FILE] [--qemu-only] [--list]

For every tests/guest/*.c and every variant (compiler options, below) it builds
the program twice with tools/guest-cc into --build-dir:

    NAME-TAG-bare.elf    --target=bare, run as  QUIESCE exec NAME-TAG-bare.elf --cpus 1 --trace
    NAME-TAG-linux.elf   --target=linux, run by tools/qemu-count under qemu-ppc64 -cpu CPU

and requires, for each pair:
  - identical console output (quiesce's stdout, qemu's stdout), byte for byte;
  - identical exit status;
  - identical dynamic instruction counts outside [__qg_sys_begin, __qg_sys_end)
    (the runtime's target-specific code; addresses from each ELF's symbols):
    quiesce's --trace lines (stderr lines starting with a digit: "cycle cpu
    0xPC ...") against qemu's -singlestep -d exec,nochain log.
Also checked, without quiesce: each program's qemu run ends with the line
"PASSED" (the programs check themselves), and its qemu output and exit status
are the same for every variant (a difference means undefined behaviour or a
compiler-dependent result in the program).

It prints a table and exits 0 when everything agrees, 1 naming each program,
variant and what differed, 2 on bad use (unknown program or variant, quiesce
binary missing, toolchain missing).

Options:
  --qemu-only              skip quiesce (build both targets, run and check qemu only)
  --dump-words FILE        every distinct 32-bit word of the executable sections of
                           every bare ELF built, one 8-hex-digit word per line, sorted
                           (jump tables live in .text, so some words are data)
  --dump-executed-words F  the same for the words qemu actually executed (linux ELFs)
  --list                   print the variants and programs and exit
"""
import argparse
import collections
import concurrent.futures
import glob
import os
import re
import struct
import subprocess
import sys
import threading
from importlib.machinery import SourceFileLoader

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUEST_CC = os.path.join(ROOT, "tools", "guest-cc")
qemu_count = SourceFileLoader("qemu_count", os.path.join(ROOT, "tools", "qemu-count")).load_module()

# tag: (guest-cc options, qemu -cpu). qemu has no POWER4 model: the 970 is a POWER4 with
# AltiVec, so -mcpu=power4 code runs on -cpu 970, which also rejects anything newer
# (popcntb is POWER5); -mcpu=power5 code needs power5+.
VARIANTS = collections.OrderedDict([
    ("O2", (["-O2"], "970")),
    ("O1", (["-O1"], "970")),
    ("O3p5", (["-O3", "-mcpu=power5"], "power5+")),
    ("Os970", (["-Os", "-mcpu=970", "-mno-altivec"], "970")),
    ("O2v2", (["-O2", "-mcpu=power5", "-mabi=elfv2"], "power5+")),
])
# Not in the default matrix; select with --variants.
EXTRA_VARIANTS = collections.OrderedDict([
    ("O0", (["-O0"], "970")),
    ("O3v2", (["-O3", "-mabi=elfv2"], "970")),
    ("Osv2", (["-Os", "-mcpu=power5", "-mabi=elfv2"], "power5+")),
    ("O2u", (["-O2", "-funroll-loops", "-mcpu=power5"], "power5+")),
])
ALL_VARIANTS = collections.OrderedDict(list(VARIANTS.items()) + list(EXTRA_VARIANTS.items()))


class Result:
    def __init__(self, name, tag):
        self.name, self.tag = name, tag
        self.problems = []
        self.q_out = self.q_rc = self.q_n = None
        self.s_out = self.s_rc = self.s_n = None
        self.q_pcs = None
        self.bare = self.linux = None

    def fail(self, what):
        self.problems.append(what)


# ---------------------------------------------------------------- building
def build(src, tag, target, build_dir):
    name = os.path.basename(src)[:-2]
    out = os.path.join(build_dir, "%s-%s-%s.elf" % (name, tag, target))
    flags = ALL_VARIANTS[tag][0]
    try:
        p = subprocess.run([GUEST_CC, "--target=" + target, *flags, "-o", out, src], capture_output=True, text=True)
    except OSError as e:
        return None, "cannot run %s: %s" % (GUEST_CC, e)
    if p.returncode != 0:
        return None, "guest-cc --target=%s %s failed:\n%s" % (target, " ".join(flags), (p.stdout + p.stderr)[-3000:])
    return out, None


# ---------------------------------------------------------------- running
def run_quiesce(quiesce, elf, lo, hi, timeout):
    """(stdout, exit status, instructions outside [lo, hi), problems, other stderr lines)"""
    try:
        p = subprocess.Popen([quiesce, "exec", elf, "--cpus", "1", "--trace"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    except OSError as e:
        return b"", None, None, ["cannot run %s: %s" % (quiesce, e)], []
    out = []
    reader = threading.Thread(target=lambda: out.append(p.stdout.read()), daemon=True)
    reader.start()
    killed = []
    timer = threading.Timer(timeout, lambda: (killed.append(True), p.kill()))
    timer.start()
    pcs = collections.Counter()
    other = collections.deque(maxlen=60)
    bad_lines = []
    try:
        for line in p.stderr:
            if line[:1].isdigit():
                f = line.split(None, 3)
                if len(f) < 3 or f[1] != b"0" or len(f[2]) != 18 or not f[2].startswith(b"0x"):
                    if len(bad_lines) < 3:
                        bad_lines.append(line.decode(errors="replace").rstrip())
                    continue
                pcs[f[2]] += 1
            else:
                other.append(line.decode(errors="replace").rstrip())
        p.wait()
    finally:
        timer.cancel()
    reader.join()
    problems = []
    if killed:
        problems.append("quiesce ran longer than %s s (killed)" % timeout)
    if bad_lines:
        problems.append("malformed quiesce trace lines (want 'cycle 0 0x<16 hex digits> ...'):\n" +
                        "\n".join(bad_lines))
    n = 0
    for pc, k in pcs.items():
        try:
            v = int(pc, 16)
        except ValueError:
            problems.append("malformed pc in quiesce trace: %r" % pc)
            continue
        if not lo <= v < hi:
            n += k
    return out[0] if out else b"", p.returncode, n, problems, list(other)


def run_one(job):
    res, quiesce, timeout = job
    try:
        q_out, q_rc, q_pcs = qemu_count.run_qemu(res.linux, ALL_VARIANTS[res.tag][1], timeout=timeout)
        lo, hi = qemu_count.sys_range(res.linux)
        res.q_out, res.q_rc, res.q_pcs = q_out, q_rc, q_pcs
        res.q_n = qemu_count.count_outside(q_pcs, lo, hi)
        if not q_pcs:
            res.fail("qemu executed nothing (exit status %d)" % q_rc)
        elif q_rc > 128:
            res.fail("qemu: the guest died of signal %d" % (q_rc - 128))
    except qemu_count.CountError as e:
        res.fail("qemu: %s" % e)
    if quiesce is None:
        return res
    try:
        lo, hi = qemu_count.sys_range(res.bare)
    except qemu_count.CountError as e:
        res.fail(str(e))
        return res
    s_out, s_rc, s_n, problems, other = run_quiesce(quiesce, res.bare, lo, hi, timeout)
    res.s_out, res.s_rc, res.s_n = s_out, s_rc, s_n
    for pr in problems:
        res.fail(pr)
    if s_rc is None:
        return res
    if res.q_out is not None and s_out != res.q_out:
        res.fail("console output differs (first difference at line %d):\n%s" % diff_lines(res.q_out, s_out))
    if res.q_rc is not None and s_rc != res.q_rc:
        tail = "\n".join(other[-25:])
        res.fail("exit status: qemu %d, quiesce %d%s" % (res.q_rc, s_rc, ("\nquiesce stderr:\n" + tail) if tail else ""))
    if res.q_n is not None and s_n != res.q_n:
        res.fail("instruction count: qemu %d, quiesce %d (difference %+d)" % (res.q_n, s_n, s_n - res.q_n))
    return res


def diff_lines(a, b):
    la, lb = a.decode(errors="replace").split("\n"), b.decode(errors="replace").split("\n")
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else "<end of output>"
        y = lb[i] if i < len(lb) else "<end of output>"
        if x != y:
            return i + 1, "  qemu:    %r\n  quiesce: %r" % (x, y)
    return 0, "  (outputs differ only in a trailing newline)"


# ---------------------------------------------------------------- instruction words
def exec_words(elf):
    """Every 32-bit word of the executable (SHF_EXECINSTR, PROGBITS) sections of a
    big-endian ELF64 file."""
    with open(elf, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 2:
        raise ValueError("%s: not a big-endian ELF64 file" % elf)
    shoff, = struct.unpack_from(">Q", data, 0x28)
    shentsize, shnum = struct.unpack_from(">HH", data, 0x3a)
    words = set()
    for i in range(shnum):
        _, sh_type, flags, _, off, size = struct.unpack_from(">IIQQQQ", data, shoff + i * shentsize)
        if sh_type == 1 and flags & 0x4:  # SHT_PROGBITS, SHF_EXECINSTR
            words.update(struct.unpack_from(">%dI" % (size // 4), data, off))
    return words


def elf_words_at(elf, addrs):
    """The 32-bit words at the given virtual addresses (from the PT_LOAD segments)."""
    with open(elf, "rb") as f:
        data = f.read()
    phoff, = struct.unpack_from(">Q", data, 0x20)
    phentsize, phnum = struct.unpack_from(">HH", data, 0x36)
    segs = []
    for i in range(phnum):
        p_type, _, off, vaddr, _, filesz, _, _ = struct.unpack_from(">IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            segs.append((vaddr, vaddr + filesz, off))
    words = set()
    for a in addrs:
        for lo, hi, off in segs:
            if lo <= a and a + 4 <= hi:
                words.add(struct.unpack_from(">I", data, off + a - lo)[0])
                break
    return words


def write_words(path, words):
    with open(path + ".tmp", "w") as f:
        for w in sorted(words):
            f.write("%08x\n" % w)
    os.replace(path + ".tmp", path)


# ---------------------------------------------------------------- main
def split_list(values):
    out = []
    for v in values or []:
        out.extend(x for x in re.split(r"[,\s]+", v) if x)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="See the top of this file for what is compared.")
    ap.add_argument("--quiesce", help="the quiesce binary (required unless --qemu-only)")
    ap.add_argument("--build-dir", help="where the ELFs are built")
    ap.add_argument("--only", action="append", metavar="NAME[,NAME...]", help="programs to run (default: all)")
    ap.add_argument("--variants", nargs="+", metavar="TAG", help="variants, comma- or space-separated "
                    "(default: %s; also: %s)" % (",".join(VARIANTS), ",".join(EXTRA_VARIANTS)))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=900, help="seconds per qemu or quiesce run (default 900)")
    ap.add_argument("--qemu-only", action="store_true", help="do not run quiesce")
    ap.add_argument("--dump-words", metavar="FILE")
    ap.add_argument("--dump-executed-words", metavar="FILE")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()

    sources = {os.path.basename(s)[:-2]: s for s in sorted(glob.glob(os.path.join(ROOT, "tests", "guest", "*.c")))}
    if a.list:
        for tag, (flags, cpu) in ALL_VARIANTS.items():
            print("%-6s %-40s qemu -cpu %s%s" % (tag, " ".join(flags), cpu, "" if tag in VARIANTS else "  (extra)"))
        print("programs: " + " ".join(sources))
        return 0
    if not a.build_dir:
        ap.error("--build-dir is required")
    tags = split_list(a.variants) or list(VARIANTS)
    if tags == ["all"]:
        tags = list(ALL_VARIANTS)
    unknown = [t for t in tags if t not in ALL_VARIANTS]
    if unknown:
        ap.error("unknown variant(s) %s; known: %s" % (", ".join(unknown), ", ".join(ALL_VARIANTS)))
    names = split_list(a.only) or list(sources)
    unknown = [n for n in names if n not in sources]
    if unknown:
        ap.error("unknown program(s) %s; known: %s" % (", ".join(unknown), ", ".join(sources)))
    quiesce = None
    if not a.qemu_only:
        if not a.quiesce:
            ap.error("--quiesce PATH is required (or --qemu-only)")
        quiesce = os.path.abspath(a.quiesce)
        if not os.path.isfile(quiesce) or not os.access(quiesce, os.X_OK):
            print("differential: the quiesce binary %s does not exist or is not executable "
                  "(build it first, e.g. `make build`; or use --qemu-only)" % a.quiesce, file=sys.stderr)
            return 2
    for tool in ("powerpc64-linux-gnu-gcc", qemu_count.QEMU, qemu_count.NM):
        if not any(os.access(os.path.join(d, tool), os.X_OK) for d in os.environ.get("PATH", "").split(os.pathsep)):
            print("differential: %s not found on PATH" % tool, file=sys.stderr)
            return 2
    os.makedirs(a.build_dir, exist_ok=True)

    results = [Result(n, t) for n in names for t in tags]
    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as ex:
        builds = {(r.name, r.tag, target): ex.submit(build, sources[r.name], r.tag, target, a.build_dir)
                  for r in results for target in ("bare", "linux")}
        for r in results:
            for target in ("bare", "linux"):
                path, err = builds[(r.name, r.tag, target)].result()
                setattr(r, target, path)
                if err:
                    r.fail(err)
        runnable = [r for r in results if r.bare and r.linux]

        print("%-14s %-6s %-9s %12s %12s %5s  %s" % ("program", "variant", "qemu-cpu", "qemu insns",
                                                     "quiesce" if quiesce else "(quiesce)", "exit", "verdict"))
        sys.stdout.flush()
        progress = sys.stderr.isatty()
        for k, r in enumerate(ex.map(run_one, [(r, quiesce, a.timeout) for r in runnable])):
            if progress:
                print("\r[%d/%d] %s %s  " % (k + 1, len(runnable), r.name, r.tag), end="", file=sys.stderr)
        if progress:
            print(file=sys.stderr)

    # qemu-side checks: self-check verdict, and the same output for every variant
    per_program = collections.defaultdict(list)
    for r in results:
        if r.q_out is not None:
            if not r.q_out.endswith(b"PASSED\n"):
                r.fail("the program's self-check failed under qemu:\n" +
                       "\n".join("  " + l for l in r.q_out.decode(errors="replace").splitlines()
                                 if "FAIL" in l)[:3000])
            per_program[r.name].append(r)
    for name, rs in per_program.items():
        first = rs[0]
        for r in rs[1:]:
            if (r.q_out, r.q_rc) != (first.q_out, first.q_rc):
                what = "exit status %d vs %d" % (first.q_rc, r.q_rc) if r.q_out == first.q_out else \
                    "output line %d:\n%s" % diff_lines(first.q_out, r.q_out)
                r.fail("qemu result differs from variant %s: %s" % (first.tag, what))

    failures = 0
    total = {}
    for r in results:
        cpu = ALL_VARIANTS[r.tag][1]
        q_n = "-" if r.q_n is None else str(r.q_n)
        s_n = "-" if r.s_n is None else str(r.s_n)
        rc = "-" if r.q_rc is None else str(r.q_rc)
        print("%-14s %-6s %-9s %12s %12s %5s  %s" % (r.name, r.tag, cpu, q_n, s_n, rc,
                                                      "ok" if not r.problems else "FAIL"))
        for pr in r.problems:
            print("    " + pr.replace("\n", "\n    "))
        failures += bool(r.problems)
        if r.q_n is not None:
            total[r.tag] = total.get(r.tag, 0) + r.q_n

    if a.dump_words:
        words = set()
        for r in results:
            if r.bare:
                words |= exec_words(r.bare)
        write_words(a.dump_words, words)
        print("%d distinct words from the executable sections of %d bare ELFs -> %s" %
              (len(words), sum(1 for r in results if r.bare), a.dump_words))
    if a.dump_executed_words:
        words = set()
        for r in results:
            if r.q_pcs:
                words |= elf_words_at(r.linux, r.q_pcs.keys())
        write_words(a.dump_executed_words, words)
        print("%d distinct instruction words executed under qemu -> %s" % (len(words), a.dump_executed_words))

    mode = "qemu only" if quiesce is None else "quiesce vs qemu"
    print("%d of %d runs agree (%s; %d programs x %d variants)" % (len(results) - failures, len(results), mode,
                                                                    len(names), len(tags)))
    if failures:
        print("FAILED: " + ", ".join("%s/%s" % (r.name, r.tag) for r in results if r.problems))
    return 1 if failures or not results else 0


if __name__ == "__main__":
    sys.exit(main())

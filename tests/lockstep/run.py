#!/usr/bin/python3
"""Lockstep register comparison against qemu for every guest test program.

    run.py --quiesce build/quiesce --build-dir DIR [--only NAME] [--flags "-O2"]

Builds each tests/guest/*.c with `tools/guest-cc --target=linux` and runs
tools/lockstep on it: quiesce and qemu-ppc64 must agree on PC, GPRs, LR, CTR,
CR and XER after every instruction. Exit 1 naming the first divergence.
"""
import argparse, glob, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

VARIANTS = {"O2": ["-O2"], "O3p5": ["-O3", "-mcpu=power5"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quiesce", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--only")
    ap.add_argument("--max", default="400000", help="instructions compared per program (0: all)")
    a = ap.parse_args()
    os.makedirs(a.build_dir, exist_ok=True)
    failed = []
    sources = sorted(glob.glob(os.path.join(ROOT, "tests", "guest", "*.c")))
    for src in sources:
        name = os.path.basename(src)[:-2]
        if a.only and name != a.only:
            continue
        for tag, flags in VARIANTS.items():
            elf = os.path.join(a.build_dir, "%s-%s-linux.elf" % (name, tag))
            subprocess.run([os.path.join(ROOT, "tools", "guest-cc"), "--target=linux", *flags, "-o", elf, src],
                           check=True)
            cpu = "power5+" if "power5" in " ".join(flags) else "970" if "970" in " ".join(flags) else "power5+"
            p = subprocess.run([os.path.join(ROOT, "tools", "lockstep"), "--quiesce", a.quiesce, "--qemu-cpu", cpu,
                                "--max", a.max, elf], capture_output=True, text=True)
            status = "ok" if p.returncode == 0 else "FAIL"
            print("%-28s %-5s %s %s" % (name, tag, status, p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr.strip()))
            if p.returncode != 0:
                failed.append((name, tag, p.stdout + p.stderr))
    for name, tag, out in failed:
        print("\n== %s (%s) ==\n%s" % (name, tag, out))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

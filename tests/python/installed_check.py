#!/usr/bin/python3
"""Install quiesce, use it as a user would with nothing of the source tree, uninstall it: the steps of
tests/python/test_install.py, in one process so that the test can run them inside a private mount
namespace (where /usr/local is a temporary directory).

    installed_check.py --build BUILD --prefix PREFIX --work DIR [--site-on-path] [--notebook]

Prints one JSON report on stdout. Every command runs with a clean environment: no PYTHONPATH, no
QUIESCE_* variable, PATH = PREFIX/bin then the system's, and the working directory DIR (outside the
repository). With --site-on-path, /usr/bin/python3 must import the package from PREFIX by itself (the
prefix is /usr/local); without it, the check adds PREFIX's site directory to sys.path in the code it
runs (an installation to another prefix is used that way, or with PYTHONPATH)."""
import argparse
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHECK = r'''
import json, os, sys
SITE = os.environ.get("CHECK_SITE")
if SITE:
    sys.path.insert(0, SITE)
import quiesce
from quiesce import _backend
rep = dict(file=quiesce.__file__, simulator=list(quiesce.simulator()), cli=_backend._find_cli(),
           data_dir=str(quiesce.data_dir()), version=quiesce.version(),
           strategies=[s["name"] for s in quiesce.strategies()])
small = {"machine.cpus": 4, "run.duration_us": 200}
r = quiesce.run("scenarios/k42-swap.yaml", set=small, out="run", trace_out="timeline.json")
rep.update(swaps=len(r.summary["swaps"]), swap_completed=bool(r.summary["swaps"][0]["completed"]),
           trace_events=len(json.load(open("timeline.json"))["traceEvents"]), run_out=str(r.out))
df = quiesce.sweep(quiesce.scenario("compare/base.yaml"),
                   {"machine.cpus": [1, 2], "run.duration_us": [160], "events[0].at_us": [100]},
                   cache_dir="cache", jobs=2, progress=False)
rep.update(sweep_rows=len(df), sweep_completed=bool(df["swap_completed"].all()))
print(json.dumps(rep))
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--site-on-path", action="store_true")
    ap.add_argument("--notebook", action="store_true")
    ap.add_argument("--plant", action="append", default=[],
                    help="a file (relative to PREFIX) to create after installing: uninstall must leave it")
    a = ap.parse_args()
    prefix, work = os.path.abspath(a.prefix), os.path.abspath(a.work)
    env = {k: v for k, v in os.environ.items()  # nor the make that may have started ctest
           if k not in ("PYTHONPATH", "PYTHONHOME", "MAKEFLAGS", "MFLAGS", "MAKELEVEL") and not k.startswith("QUIESCE_")}
    env["PATH"] = os.path.join(prefix, "bin") + os.pathsep + "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    env["MPLBACKEND"] = "Agg"
    env["QUIESCE_CACHE_DIR"] = os.path.join(work, "cache")
    rep = {}

    def run(cmd, **kw):
        p = subprocess.run(cmd, cwd=work, env=kw.pop("env", env), capture_output=True, text=True, timeout=600, **kw)
        rep.setdefault("commands", []).append(dict(cmd=[str(c) for c in cmd], rc=p.returncode,
                                                   stdout=p.stdout[-4000:], stderr=p.stderr[-4000:]))
        return p

    # make install (the build is up to date: nothing is rebuilt).
    p = run(["make", "-C", ROOT, "--no-print-directory", "install", f"BUILD={a.build}", f"PREFIX={prefix}"])
    rep["install_rc"] = p.returncode
    manifest = os.path.join(a.build, "install_manifest.txt")
    rep["installed"] = sorted(os.path.relpath(f, prefix) for f in open(manifest).read().split("\n") if f) \
        if p.returncode == 0 else []
    if p.returncode == 0:
        site = [os.path.dirname(os.path.dirname(f)) for f in rep["installed"] if f.endswith("quiesce/__init__.py")]
        rep["site"] = site[0] if site else None
        check_env = dict(env)
        if not a.site_on_path and site:
            check_env["CHECK_SITE"] = os.path.join(prefix, site[0])
        p = run(["/usr/bin/python3", "-c", CHECK], env=check_env)
        rep["check"] = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else None
        p = run(["quiesce", "--version"])
        rep["version_line"] = p.stdout.strip()
        p = run(["quiesce", "run", os.path.join(prefix, "share/quiesce/scenarios/quickstart.yaml"), "-q",
                 "-o", "quickstart", "--set", "run.duration_us=100"])
        rep["cli_run_rc"] = p.returncode
        p = run(["quiesce-guest-cc", "-o", "demo.elf", os.path.join(prefix, "share/quiesce/guest/examples/demo.c")])
        rep["guest_cc_rc"] = p.returncode
        if p.returncode == 0:
            p = run(["quiesce", "exec", "demo.elf"])
            rep["exec_rc"], rep["exec_stdout"] = p.returncode, p.stdout
        if rep.get("check"):
            plot_env = dict(check_env, PYTHONPATH=check_env["CHECK_SITE"]) if "CHECK_SITE" in check_env else env
            p = run(["/usr/bin/python3", "-m", "quiesce.plot", "run", "-o", "png"], env=plot_env)
            rep["plots"] = p.stdout.split() if p.returncode == 0 else None
        if a.notebook:
            nb_env = dict(env, QUIESCE_NOTEBOOK_QUICK="1", JUPYTER_RUNTIME_DIR=os.path.join(work, "jr"),
                          IPYTHONDIR=os.path.join(work, "ipy"), MPLCONFIGDIR=os.path.join(work, "mpl"),
                          MPLBACKEND="module://matplotlib_inline.backend_inline", PYDEVD_DISABLE_FILE_VALIDATION="1")
            nb = os.path.join(prefix, "share/quiesce/notebooks/swap-anatomy.ipynb")
            p = run(["/usr/bin/python3", "-c", NOTEBOOK, nb], env=nb_env)
            rep["notebook"] = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else None
    for rel in a.plant:  # files that were not installed, in quiesce's directories and beside them
        os.makedirs(os.path.dirname(os.path.join(prefix, rel)), exist_ok=True)
        with open(os.path.join(prefix, rel), "w") as f:
            f.write("not installed\n")
    # make uninstall
    p = run(["make", "-C", ROOT, "--no-print-directory", "uninstall", f"BUILD={a.build}"])
    rep["uninstall_rc"] = p.returncode
    rep["left"] = sorted(os.path.relpath(f, prefix) for f in glob.glob(os.path.join(prefix, "**"), recursive=True)
                         if not os.path.isdir(f) or os.path.basename(f) == "quiesce")
    print(json.dumps(rep))


NOTEBOOK = r'''
import json, os, sys
import nbclient, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": os.getcwd()}}).execute()
outs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
print(json.dumps(dict(errors=sum(o.output_type == "error" for o in outs),
                      images=sum("image/png" in o.get("data", {}) for o in outs),
                      text="".join(o.get("text", "") for o in outs if o.output_type == "stream")[:2000])))
'''

if __name__ == "__main__":
    sys.exit(main())

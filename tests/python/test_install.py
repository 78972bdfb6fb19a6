"""`make install` and `make uninstall` (cmake/install.cmake), used as a user would, with nothing of
the source tree (tests/python/installed_check.py does the steps):

- into a temporary prefix: the layout, `quiesce --version`, a scenario through the CLI, the tools
  (quiesce-guest-cc builds a guest that `quiesce exec` runs), the package run from its installed
  site directory (its extension, its CLI, its scenarios; a run with a timeline; a sweep),
  `python3 -m quiesce.plot`; then `make uninstall` leaves no file;
- at the default prefix /usr/local, inside a private mount namespace where /usr/local is an empty
  temporary directory: Debian's /usr/bin/python3 imports the package with no PYTHONPATH, from
  another directory, and a notebook from share/quiesce/notebooks runs there; `make uninstall`
  leaves nothing. (Skipped where a mount namespace cannot be made, e.g. not root.)

ctest runs this file on its own (label install): about a minute."""
import json
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CHECK = os.path.join(HERE, "installed_check.py")


@pytest.fixture(scope="module")
def build_dir():
    b = os.environ.get("QUIESCE_BUILD_DIR")
    if not b:
        pytest.skip("QUIESCE_BUILD_DIR (the build directory to install from) is not set")
    if not os.path.isfile(os.path.join(b, "CMakeCache.txt")):
        pytest.skip(f"{b} is not a CMake build directory")
    return os.path.abspath(b)


def installed_check(build_dir, prefix, work, *flags, namespace=False):
    cmd = ["/usr/bin/python3", CHECK, "--build", build_dir, "--prefix", str(prefix), "--work", str(work), *flags]
    if namespace:
        # /usr/local, in this process tree only, is the empty directory `prefix`.
        cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
               'mount --bind "$0" /usr/local && exec "$@"', str(prefix),
               *[c if c != str(prefix) else "/usr/local" for c in cmd]]
    p = subprocess.run(cmd, cwd=str(work), capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-4000:]
    rep = json.loads(p.stdout.strip().splitlines()[-1])
    failed = [c for c in rep.get("commands", []) if c["rc"] != 0]
    return rep, failed


def check_installed(rep, failed, prefix):
    assert rep["install_rc"] == 0, failed
    inst = set(rep["installed"])
    site = rep["site"]
    assert site.startswith("lib/python3.") and site.endswith("/dist-packages")
    assert {"bin/quiesce", "bin/quiesce-guest-cc", "bin/quiesce-torture", "bin/quiesce-lockstep",
            "bin/quiesce-qemu-count", f"{site}/quiesce/__init__.py", f"{site}/quiesce/_paths.py",
            "share/quiesce/scenarios/k42-swap.yaml", "share/quiesce/scenarios/compare/base.yaml",
            "share/quiesce/scenarios/README.md", "share/quiesce/notebooks/swap-anatomy.ipynb",
            "share/quiesce/notebooks/compare-strategies.ipynb", "share/quiesce/guest/include/quiesce/guest.h",
            "share/quiesce/tools/guest-cc", "share/quiesce/build/guest/objects.elf"} <= inst, sorted(inst)
    assert any(f.startswith(f"{site}/quiesce/_core") and f.endswith(".so") for f in inst)
    c = rep["check"]
    assert c is not None, failed
    pkg = os.path.join(prefix, site, "quiesce")
    assert os.path.dirname(c["file"]) == pkg  # the installed copy, not the source tree's
    assert c["simulator"][0] == "core" and c["simulator"][1].startswith(pkg + "/_core")
    assert c["cli"] == os.path.join(prefix, "bin", "quiesce")
    assert c["data_dir"] == os.path.join(prefix, "share", "quiesce")
    assert c["version"] == rep["version_line"].split()[1] and rep["version_line"].startswith("quiesce ")
    assert "k42_generation" in c["strategies"]
    assert c["swaps"] >= 1 and c["swap_completed"] and c["trace_events"] > 100
    assert c["sweep_rows"] == 2 and c["sweep_completed"]
    assert rep["cli_run_rc"] == 0, failed
    assert rep["guest_cc_rc"] == 0 and rep["exec_rc"] == 0 and rep["exec_stdout"], failed
    assert rep["plots"] and all(p.endswith(".png") for p in rep["plots"]), failed


def check_uninstalled(rep, failed, prefix, planted=()):
    assert rep["uninstall_rc"] == 0, failed
    kept = {"share/quiesce"} if any(p.startswith("share/quiesce/") for p in planted) else set()
    assert rep["left"] == sorted(set(planted) | kept), rep["left"]
    left = sorted(os.path.relpath(os.path.join(d, f), prefix) for d, _, fs in os.walk(prefix) for f in fs)
    assert left == sorted(planted)
    if not planted:
        assert not any("quiesce" in d for d, _, _ in os.walk(prefix))


def test_install_into_a_prefix_and_uninstall(build_dir, tmp_path):
    prefix, work = tmp_path / "prefix", tmp_path / "work"
    prefix.mkdir()
    work.mkdir()
    # Files put there after the install, in quiesce's directories and beside its own: uninstall keeps them.
    planted = ["share/quiesce/scenarios/mine.yaml", "bin/quiesce-mine", "share/other/file"]
    rep, failed = installed_check(build_dir, prefix, work, *[f"--plant={p}" for p in planted])
    check_installed(rep, failed, str(prefix))
    check_uninstalled(rep, failed, prefix, planted)


def test_installed_in_usr_local_python3_imports_it_without_pythonpath(build_dir, tmp_path):
    if shutil.which("unshare") is None:
        pytest.skip("no unshare (util-linux)")
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            f'mount --bind "{tmp_path}" /usr/local'], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a mount namespace here: {probe.stderr.strip()}")
    stage, work = tmp_path / "usr-local", tmp_path / "work"
    stage.mkdir()
    work.mkdir()
    rep, failed = installed_check(build_dir, stage, work, "--site-on-path", "--notebook", namespace=True)
    check_installed(rep, failed, "/usr/local")
    nb = rep["notebook"]
    assert nb is not None, failed
    assert nb["errors"] == 0 and nb["images"] >= 3
    assert "/usr/local/share/quiesce/scenarios" in nb["text"] and "quick" in nb["text"]
    check_uninstalled(rep, failed, stage)

"""What made a bench result: the provenance every bench script records with what it writes.

    import provenance
    prov = provenance.record(binary)                      # before the first run
    provenance.write_json(path, doc, prov)                # {"provenance": ..., **doc}
    provenance.write_sidecar(csv_path, prov)              # <csv without .csv>.provenance.json

The provenance object:

    {"commit": "<git rev-parse HEAD>", "dirty": false,
     "binary": "/abs/path/quiesce", "binary_sha256": "<64 hex>",
     "date": "2026-11-23T15:51:07Z", "script": "bench/compare", "argv": ["--quick"]}

"dirty" is true when `git status --porcelain` lists anything but the figures the bench scripts
write (FIGURES: regenerating one figure after another must not flag the next); the paths are then in
"dirty_paths". commit and dirty are null outside a git checkout. Further binaries a script ran
(another quiesce to compare with, the unit tests, the Python package's extension) are in
"other_binaries": {role: {"path", "sha256"}}. The binary is hashed again when the result is written:
if it changed meanwhile (rebuilt during the run), "binary_changed_during_run" is true and
"binary_sha256_at_end" holds the new hash. A file rewritten in part (bench/run --only) lists the
parts measured now in "sections" and the provenance of those it kept in "kept" (see carry()).
"""
import datetime
import hashlib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The checked-in figures (and the CSV's sidecar): written by the bench scripts, so not "dirty" sources.
FIGURES = {"bench/compare.csv", "bench/compare.provenance.json", "bench/hotswap.json", "bench/os_layer.json",
           "bench/coherence.json", "bench/results.json", "bench/memory.json", "bench/patch.json",
           "bench/autonomic.json"}


def sha256(path):
    """The file's SHA-256 (hex), or None if it cannot be read."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def _git(*args):
    try:
        p = subprocess.run(["git", "-C", ROOT] + list(args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return p.stdout if p.returncode == 0 else None


def _status_path(line):
    path = line[3:]
    if " -> " in path:  # a rename: the new name
        path = path.split(" -> ", 1)[1]
    return path.strip('"')


def record(binary, others=None):
    """The provenance of a result about to be measured with `binary` (see the module's docstring).
    others: {role: path} of further binaries the script runs."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain")
    dirty_paths = None if status is None else \
        [p for p in (_status_path(l) for l in status.splitlines() if l.strip()) if p not in FIGURES]
    prov = {"commit": commit.strip() if commit else None,
            "dirty": None if dirty_paths is None else bool(dirty_paths),
            "binary": os.path.abspath(binary), "binary_sha256": sha256(binary),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "script": os.path.relpath(os.path.abspath(sys.argv[0]), ROOT), "argv": sys.argv[1:]}
    if dirty_paths:
        prov["dirty_paths"] = dirty_paths
    if others:
        prov["other_binaries"] = {role: {"path": os.path.abspath(p), "sha256": sha256(p)} for role, p in others.items()}
    return prov


def carry(prov, earlier, sections, measured):
    """For a result file rewritten in part (bench/run --only): prov gets "sections", the keys of doc
    measured now, and "kept", {key: the provenance it was measured with} for each of `sections`
    that the earlier file (a dict, or None) has and this run does not measure (None: the earlier
    figure predates provenance)."""
    prov["sections"] = [k for k in sections if k in measured]
    before = (earlier or {}).get("provenance")
    kept = {}
    for k in sections:
        if k in measured or k not in (earlier or {}):
            continue
        if before is None:
            kept[k] = None
        elif k in before.get("kept", {}):
            kept[k] = before["kept"][k]
        else:
            kept[k] = {x: v for x, v in before.items() if x not in ("kept", "sections")}
    if kept:
        prov["kept"] = kept
    return prov


def _final(prov):
    """prov as written: the binary hashed again (a rebuild during the run is recorded, not hidden)."""
    prov = dict(prov)
    now = sha256(prov["binary"])
    if now != prov["binary_sha256"]:
        prov["binary_changed_during_run"] = True
        prov["binary_sha256_at_end"] = now
    return prov


def _write(path, doc):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def write_json(path, doc, prov):
    """Write doc as JSON with "provenance" as its first key (any older provenance in doc replaced)."""
    _write(path, dict({"provenance": _final(prov)}, **{k: v for k, v in doc.items() if k != "provenance"}))


def sidecar(csv_path):
    """The provenance file of a CSV: compare.csv -> compare.provenance.json."""
    base, ext = os.path.splitext(csv_path)
    return (base if ext.lower() == ".csv" else csv_path) + ".provenance.json"


def write_sidecar(csv_path, prov):
    """Write the CSV's sidecar: the provenance, the CSV's name and its SHA-256 (which CSV it describes).
    Returns the sidecar's path."""
    path = sidecar(csv_path)
    _write(path, {"provenance": _final(prov), "file": os.path.basename(csv_path), "sha256": sha256(csv_path)})
    return path


def line(prov):
    """One line for a report (bench/compare.md): commit, dirty flag, binary hash, date."""
    commit = prov["commit"] or "unknown"
    dirty = {True: "dirty", False: "clean", None: "unknown"}[prov["dirty"]]
    return (f"commit {commit} ({dirty} tree), quiesce sha256 {prov['binary_sha256']} "
            f"({prov['binary']}), {prov['date']}")

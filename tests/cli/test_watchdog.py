"""The watchdog: a swap that cannot finish ends the run with exit code 4 and a
report of who waits on what (scenarios/deadlock-forward.yaml, the shipped
example): the culprit first, pcs as symbol+offset, identical threads grouped;
the results so far written; without a timeout the same run goes to
its end with the swap reported incomplete."""
import json
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
DEADLOCK = os.path.join(ROOT, "scenarios", "deadlock-forward.yaml")


def run(tmp_path, *sets):
    args = [QUIESCE, "run", DEADLOCK, "-q", "-o", str(tmp_path / "out")]
    for s in sets:
        args += ["--set", s]
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)


def test_the_deadlock_example_exits_4_with_who_waits_on_what(tmp_path):
    p = run(tmp_path)
    assert p.returncode == 4, p.stderr
    err = p.stderr
    assert err.startswith("quiesce: watchdog: swap 0 of obj (k42_generation) has not reached completion 200 us")
    assert "swaps in progress:" in err
    assert "cpu 0: phase forward" in err and "waits for its generation" in err  # the stalled CPU
    assert "phase block" in err and "waits at the meeting" in err               # the others
    daemon = [l for l in err.splitlines() if " daemon " in l]
    assert daemon and all("holds generation" in l for l in daemon)            # the culprit
    assert any(" blocked clients " in l for l in err.splitlines())             # the held calls
    with open(tmp_path / "out" / "summary.json") as f:
        s = json.load(f)
    assert s["swaps"][0]["completed"] is False and s["swaps"][0]["waiting"]


def test_the_report_names_the_culprit_first_with_symbols(tmp_path):
    err = run(tmp_path).stderr.splitlines()
    # Right after the headline: the daemon, what it holds, and where it is as symbol+offset.
    assert err[1].startswith("culprit: thread 4 (daemon, cpu 0, ")
    assert "holds generation 0 on cpu 0, which is at generation 1 and cannot swap again until it leaves" in err[1]
    assert err[1].endswith("; pc 0x114704 (os.request_loop+0x4)")
    threads = err[err.index(next(l for l in err if l.startswith("threads ("))) + 1:]
    assert threads[0].startswith("  thread 4 cpu 0 ")  # the culprit first in the list too
    # Every pc has its symbol: the kernel's code and entries, the swap's host-call entries.
    pcs = [l for l in threads if " pc 0x" in l]
    assert pcs == threads and all(re.search(r" pc 0x[0-9a-f]+ \([\w.\[\]+]+\)", l) for l in pcs), pcs
    assert any("(kernel.next_call)" in l for l in threads) and any("(os.system_loop+0x4)" in l for l in threads)


def test_a_long_thread_list_is_summarised(tmp_path):
    # Up to 40 clients per CPU (a closed client's thread ends with its request, the next one comes after its
    # think time), the daemon and a swap worker per CPU, in a few lines of identical states with their counts.
    err = run(tmp_path, "workloads.clients.threads=40").stderr.splitlines()
    header = next(l for l in err if l.startswith("threads ("))
    live = int(re.match(r"threads \((\d+) live, ", header).group(1))
    assert 150 <= live <= 4 * 40 + 1 + 4
    threads = err[err.index(header) + 1:]
    assert len(threads) <= 13
    counted = sum(int(m.group(1)) if (m := re.match(r"  (\d+) threads ", l)) else 1 for l in threads)
    assert counted == live
    assert any(re.match(r"  \d+ threads blocked clients pc .* on cpu 1, 2, 3: threads \d+(, \d+){5} and \d+ more$", l)
               for l in threads)
    assert err[1].startswith("culprit: thread 40 (daemon, cpu 0, ")


def test_without_the_watchdog_the_run_ends_normally(tmp_path):
    p = run(tmp_path, "hotswap.timeout_us=0")
    assert p.returncode == 0, p.stderr
    with open(tmp_path / "out" / "summary.json") as f:
        assert json.load(f)["swaps"][0]["completed"] is False


def test_a_swap_that_completes_in_time_is_left_alone(tmp_path):
    p = run(tmp_path, "events[0].strategy=percpu_refcount")
    assert p.returncode == 0, p.stderr


K42_SWAP = os.path.join(ROOT, "scenarios", "k42-swap.yaml")


def test_timeout_bounds_host_time(tmp_path):
    # A run far longer than the limit: it ends at the limit with exit code 4, results written.
    args = [QUIESCE, "run", K42_SWAP, "-q", "-o", str(tmp_path / "long"), "--set", "run.duration_us=1000000",
            "--timeout", "0.3"]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    assert p.returncode == 4, p.stderr
    assert p.stderr.startswith("quiesce: --timeout 0.3: the host-time limit was reached at ")
    assert p.stderr.endswith(' us simulated; the results so far are written (summary.json: "completed": false)\n')
    assert os.path.exists(tmp_path / "long" / "manifest.json")


def test_a_run_within_its_timeout_is_unchanged(tmp_path):
    outs = []
    for name, extra in (("limited", ["--timeout", "600"]), ("free", [])):
        p = subprocess.run([QUIESCE, "run", K42_SWAP, "-q", "-o", str(tmp_path / name), *extra],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
        assert p.returncode == 0, p.stderr
        outs.append(tmp_path / name)
    for f in ("summary.json", "calls.csv", "cpus.csv", "regions.csv", "swaps.csv", "phases.csv"):
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f

"""The safety oracle on methods compiled from C (guest/examples/objects.c through build/guest/objects.elf):
an object whose methods are guest functions, swapped with every safe strategy under each transfer
protocol, shows no violation, and the exactly-once audit covers it (its functions are declared
`counts_calls`: one atomic add to the rep's first state word per call) with every call counted once.
The oracle is not blind to compiled code: counter_threshold, which swaps with calls in flight,
is caught executing the old object's C functions after the hand-over, and so is a function that
breaks its counting promise (the audit finds calls lost)."""
import copy
import json
import os
import subprocess

import pytest
import yaml

import strategy_list

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
OBJECTS_ELF = os.path.join(os.environ.get("QUIESCE_BUILD_DIR", os.path.dirname(QUIESCE)), "guest", "objects.elf")
TIMEOUT = 600
PROTOCOLS = ["by_reference", "copy", "transform"]

COUNTED = {"lookup": {"symbol": "counted_lookup", "counts_calls": True},
           "insert": {"symbol": "counted_insert", "counts_calls": True}}
COUNTED_V2 = {"lookup": {"symbol": "counted_lookup_v2", "counts_calls": True},
              "insert": {"symbol": "counted_insert_v2", "counts_calls": True}}


def scenario(strategy, protocol, cpus=4, v2_code="own"):
    """Table swapped to TableV2 at 40 us; TableV2 runs its own functions or ("shared") Table's."""
    impl = {"root": "shared", "state_bytes": 512, "methods": COUNTED,
            "transfer": {"export": [protocol], "import": [protocol]}}
    v2 = dict(copy.deepcopy(impl), **{"class": "Table", "version": 2})
    if v2_code == "own":
        v2["methods"] = copy.deepcopy(COUNTED_V2)
    return {
        "name": f"compiled-{strategy}-{protocol}",
        "machine": {"cpus": cpus},
        "os": {"guest_elf": OBJECTS_ELF},
        "implementations": {"Table": impl, "TableV2": v2},
        "objects": {"table": {"implementation": "Table"}},
        "workloads": {"clients": {"kind": "closed", "cpus": "all", "threads": 2, "think_us": 0.2,
                                  "calls_per_request": 6,
                                  "mix": [{"object": "table", "method": "lookup", "weight": 3},
                                          {"object": "table", "method": "insert", "weight": 1}]}},
        "events": [{"type": "swap", "object": "table", "to": "TableV2", "strategy": strategy, "at_us": 40}],
        "run": {"duration_us": 120, "warmup_us": 10},
    }


def run(tmp_path, sc, *extra):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(sc))
    out = tmp_path / "out"
    p = subprocess.run([QUIESCE, "run", str(path), "-q", "-o", str(out), *extra], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    with open(out / "summary.json") as f:
        return json.load(f)


def safe_strategies():
    return strategy_list.listed(QUIESCE, safe_only=True)


SAFE = safe_strategies()
CONSTRAINTS = strategy_list.constraints(QUIESCE)
# Each safe strategy with each protocol it can swap with (by_reference: that one only).
SWAPS = [(s, p) for s in SAFE for p in PROTOCOLS
         if p == "by_reference" or "by_reference" not in CONSTRAINTS.get(s, set())]


def audit_of(summary, name="table"):
    (a,) = [a for a in summary["safety"]["calls_audit"] if a["object"] == name]
    return a


def test_the_guest_program_is_built():
    assert os.path.isfile(OBJECTS_ELF), f"{OBJECTS_ELF}: build the guest_objects target"
    assert len(SAFE) >= 5


@pytest.mark.parametrize("v2_code", ["own", "shared"])
@pytest.mark.parametrize("strategy,protocol", SWAPS)
def test_a_safe_strategy_swaps_compiled_methods_with_no_violation(tmp_path, strategy, protocol, v2_code):
    """Shared: both implementations run the same functions; by reference, on the same reps, the
    oracle cannot tell old calls from new ones there and leaves that code to the audit. A strategy that
    runs both implementations on one state (constraint by_reference) is refused any other protocol."""
    if protocol != "by_reference" and "by_reference" in CONSTRAINTS.get(strategy, []):
        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump(scenario(strategy, protocol, v2_code=v2_code)))
        p = subprocess.run([QUIESCE, "validate", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=TIMEOUT)
        assert p.returncode == 2 and "events[0].strategy" in p.stderr and f"negotiate {protocol}" in p.stderr, p.stderr
        return
    s = run(tmp_path, scenario(strategy, protocol, v2_code=v2_code))
    (sw,) = s["swaps"]
    assert sw["completed"] and sw["protocol"] == protocol, sw.get("waiting")
    assert s["safety"]["violations"] == 0, s["safety"]["details"][:3]
    a = audit_of(s)
    assert "skipped" not in a, a  # compiled methods are audited, not skipped
    assert a["served"] > 100 and a["served"] <= a["counted"] <= a["served"] + a["in_flight"], a


def test_the_oracle_sees_old_compiled_code_run_after_the_hand_over(tmp_path):
    """counter_threshold switches once enough calls passed, whoever is inside: in every seed,
    threads are caught executing the old object's C functions after its state was handed over
    (by reference, with TableV2's own functions; copied)."""
    caught = []
    for seed in range(1, 6):
        sc = scenario("counter_threshold", "by_reference" if seed % 2 else "copy", cpus=8)
        sc["hotswap"] = {"strategies": {"counter_threshold": {"threshold_calls": 4}}}
        s = run(tmp_path / str(seed), sc, "--seed", str(seed))
        details = [d["what"] for d in s["safety"]["details"]]
        if any("executed Table::" in d for d in details):
            caught.append(seed)
            assert any(d.startswith("thread") and "0x" in d for d in details)
    assert caught == [1, 2, 3, 4, 5], caught  # each of these runs had calls in flight at the switch


def test_a_broken_counting_promise_is_caught_by_the_audit(tmp_path):
    """table_lookup does not count its calls: declaring it counts_calls breaks the promise, and the
    audit reports calls lost (it is what the audit is for)."""
    sc = scenario("k42_generation", "copy")
    for impl in sc["implementations"].values():
        impl["methods"]["lookup"] = {"symbol": "table_lookup", "counts_calls": True}
    s = run(tmp_path, sc)
    assert any("calls lost or served twice" in d["what"] for d in s["safety"]["details"])


def test_counts_calls_only_with_a_symbol(tmp_path):
    sc = scenario("k42_generation", "copy")
    sc["implementations"]["Table"]["methods"]["lookup"] = {"instructions": 10, "counts_calls": True}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(sc))
    p = subprocess.run([QUIESCE, "validate", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    assert p.returncode == 2 and "counts_calls" in p.stderr

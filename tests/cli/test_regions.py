"""Methods that disable preemption or interrupts (`disables:` of a generated method; Linux's
preempt_disable / local_irq_save around a body): the count in the running thread's descriptor, the
kernel's deferred preemption and stop_machine, the reader's refusal of a body that may sleep in one."""
import copy

from run_scenario import run
from test_scheduler import HOG, obj_calls

SPIN = "implementations.Spin.methods.work"


def urgent(sc):
    """CPU 0 only: the hog loops in spin.work (3,000 instructions a call); an urgent client (priority 5)
    calls obj every 2 us."""
    sc = copy.deepcopy(sc)
    sc["workloads"]["clients"].update(priority=5, threads=1)
    del sc["events"]
    return sc


def latency(summary, name="obj"):
    (o,) = [o for o in summary["objects"] if o["name"] == name]
    (m,) = o["methods"]
    return m["latency_cycles"]["mean"]


def test_a_region_defers_preemption_to_its_end(tmp_path):
    pre = ["os.scheduler.policy=preemptive", "os.scheduler.tick_us=1"]
    plain, _ = run(tmp_path, urgent(HOG), *pre, name="plain")
    held, out = run(tmp_path, urgent(HOG), *pre, f"{SPIN}.disables=preemption", name="held")
    irq, _ = run(tmp_path, urgent(HOG), *pre, f"{SPIN}.disables=interrupts", name="irq")
    for s in (plain, held, irq):
        assert obj_calls(s) > 20 and s["simulated"]["preemptions"] > 0
    # Preempted mid-method, the hog gives way at once; with preemption or interrupts off only when its
    # spin.work call ends (a preemption at preempt_enable, or the tick taken when EE is back on): the
    # urgent client gets the CPU later and less often.
    assert obj_calls(held) < 0.9 * obj_calls(plain) and obj_calls(irq) < 0.9 * obj_calls(plain)
    assert held["simulated"]["preemptions"] < plain["simulated"]["preemptions"]
    again, out2 = run(tmp_path, urgent(HOG), *pre, f"{SPIN}.disables=preemption", name="again")
    for f in ["calls.csv", "cpus.csv", "regions.csv"]:
        assert (out / f).read_bytes() == (out2 / f).read_bytes(), f


def stopper(cpus=2):
    """The hog on CPU 1 in a 20,000-instruction spin.work (30,000 cycles a call, its first ~85,000: cold
    code); stack_trace swaps obj from CPU 0."""
    sc = copy.deepcopy(HOG)
    sc["machine"]["cpus"] = cpus
    sc["implementations"]["Spin"]["methods"]["work"]["instructions"] = 20000
    sc["workloads"]["hog"]["cpus"] = [1]
    sc["events"][0].update(strategy="stack_trace", cpu=0)
    return sc


def test_a_stop_machine_waits_for_the_region_an_ipi_does_not(tmp_path):
    """Preemptive: stack_trace's stop_machine (ipi 0) needs the stopper thread to run, which a region
    with preemption off delays to its end (the rest of the hog's spin.work call); an IPI-style stop (ipi 1, Linux's
    smp_call_function) is taken at once."""
    pre = ["os.scheduler.policy=preemptive", f"{SPIN}.disables=preemption"]
    machine, _ = run(tmp_path, stopper(), *pre, name="machine")
    ipi, _ = run(tmp_path, stopper(), *pre, "hotswap.strategies.stack_trace.ipi=1", name="ipi")
    plain, _ = run(tmp_path, stopper(), "os.scheduler.policy=preemptive", name="plain")
    for s in (machine, ipi, plain):
        assert s["safety"]["violations"] == 0
    assert ipi["swaps"][0]["completed"] and ipi["swaps"][0]["details"]["stop_cycles"] < 2000
    assert plain["swaps"][0]["completed"] and plain["swaps"][0]["details"]["stop_cycles"] < 2000
    m = machine["swaps"][0]
    assert m["completed"] and m["details"]["stop_cycles"] > 10000, m["details"]
    # with interrupts off, even the IPI waits for the region's end
    off, _ = run(tmp_path, stopper(), "os.scheduler.policy=preemptive", f"{SPIN}.disables=interrupts",
                 "hotswap.strategies.stack_trace.ipi=1", name="off")
    assert off["swaps"][0]["completed"] and off["swaps"][0]["details"]["stop_cycles"] > 10000


def test_a_body_that_may_sleep_may_not_disable(tmp_path):
    sc = copy.deepcopy(HOG)
    sc["implementations"]["Spin"]["methods"]["work"].update(disables="preemption",
                                                            io={"probability": 0.5, "mean_us": 1})
    err, _ = run(tmp_path, sc, name="io", expect=2)
    assert "implementations.Spin.methods.work.disables" in err and "may not wait for I/O" in err, err
    sc = copy.deepcopy(HOG)
    sc["implementations"]["Obj"]["methods"]["get"]["io"] = {"probability": 0.5, "mean_us": 1}
    sc["implementations"]["ObjV2"]["methods"]["get"]["io"] = {"probability": 0.5, "mean_us": 1}
    sc["implementations"]["Spin"]["methods"]["work"].update(disables="interrupts",
                                                            calls=[{"object": "obj", "method": "get"}])
    err, _ = run(tmp_path, sc, name="nested", expect=2)
    assert "implementations.Spin.methods.work.calls[0].method" in err and "Obj.get" in err, err
    assert "disables interrupts and may not block" in err, err
    err, _ = run(tmp_path, HOG, f"{SPIN}.disables=sometimes", name="bad", expect=2)
    assert "disables" in err and "preemption" in err, err

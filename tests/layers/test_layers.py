"""The layer check passes on this tree and catches a broken twin of it: a hot-swap file that
includes the kernel's own header, and an OS-model file that includes hot-swap."""
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "..", "..", "sim")
CHECK = os.path.join(HERE, "check_layers.py")


def check(sim):
    return subprocess.run(["/usr/bin/python3", CHECK, sim], stdout=subprocess.PIPE, text=True)


def test_this_tree_passes():
    p = check(SIM)
    assert p.returncode == 0, p.stdout
    assert p.stdout.strip().endswith(", 0 failed")


def twin(tmp_path, path, line):
    copy = tmp_path / "sim"
    shutil.copytree(SIM, copy)
    with open(copy / path, "a") as f:
        f.write(line + "\n")
    return str(copy)


def test_hotswap_including_the_kernel_is_caught(tmp_path):
    p = check(twin(tmp_path, "hotswap/swap.cpp", '#include "os_model/os_kernel.h"'))
    assert p.returncode == 1
    assert "sim/hotswap/swap.cpp: #include \"os_model/os_kernel.h\": hot-swap reaches the kernel only" in p.stdout


def test_os_model_including_hotswap_is_caught(tmp_path):
    p = check(twin(tmp_path, "os_model/thread.h", '#include "hotswap/swap.h"'))
    assert p.returncode == 1
    assert "the OS model knows nothing of hot-swap" in p.stdout


def test_core_including_the_os_is_caught(tmp_path):
    p = check(twin(tmp_path, "cpu_ppc64/hart.h", '#include "os_model/thread.h"'))
    assert p.returncode == 1
    assert "below the OS model" in p.stdout

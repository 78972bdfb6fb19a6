#!/usr/bin/python3
"""check_layers: layers point down, and sim/hotswap reaches the kernel through one door.

    tests/layers/check_layers.py [SIM_DIR]

Reads every #include "..." of SIM_DIR (default: this repository's sim/) and fails
(exit 1, one line per offence) when
  - a layer includes a layer above it (diag < cpu_ppc64 < memory_coherence < os_model < hotswap;
    cpu_ppc64 and memory_coherence know nothing of the OS or hot-swap, os_model nothing of hot-swap);
  - a file of sim/hotswap includes an os_model header other than the door
    (swap_interface.h) and the plain-data headers in DOOR_AND_PLAIN_DATA.
Prints `N passed, N failed` (files checked, files with an offence).
"""
import os
import re
import sys

LAYERS = {"diag": -1, "cpu_ppc64": 0, "memory_coherence": 1, "os_model": 2, "hotswap": 3}
# cpu_ppc64 and memory_coherence are one level in practice (the core's ports reach the memory system):
# both sit below the OS; what matters is that neither includes os_model or hotswap.
BELOW_OS = {"diag", "cpu_ppc64", "memory_coherence"}
DOOR_AND_PLAIN_DATA = {"os_model/swap_interface.h", "os_model/os_spec.h", "os_model/call_gate.h",
                       "os_model/thread.h", "os_model/rep_layout.h", "os_model/thread_descriptor.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def offences(sim):
    checked, bad = 0, []
    for layer in LAYERS:
        folder = os.path.join(sim, layer)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith((".h", ".cpp")):
                continue
            checked += 1
            with open(os.path.join(folder, name)) as f:
                includes = INCLUDE.findall(f.read())
            for inc in includes:
                target = inc.split("/")[0]
                if target not in LAYERS or target == layer:
                    continue
                where = f"sim/{layer}/{name}: #include \"{inc}\""
                if layer == "diag":
                    bad.append(f"{where}: the diagnostic log is below every layer (they all log through it)")
                elif layer in BELOW_OS and target not in BELOW_OS:
                    bad.append(f"{where}: {layer} is below the OS model and hot-swap")
                elif layer == "os_model" and target == "hotswap":
                    bad.append(f"{where}: the OS model knows nothing of hot-swap")
                elif layer == "hotswap" and target == "os_model" and inc not in DOOR_AND_PLAIN_DATA:
                    bad.append(f"{where}: hot-swap reaches the kernel only through os_model/swap_interface.h "
                               f"(and plain data: {', '.join(sorted(DOOR_AND_PLAIN_DATA - {'os_model/swap_interface.h'}))})")
    return checked, bad


def main():
    sim = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sim")
    checked, bad = offences(sim)
    for line in bad:
        print(line)
    files = len({b.split(":")[0] for b in bad})
    print(f"{checked - files} passed, {files} failed")
    return 1 if bad or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())

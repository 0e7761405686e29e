"""Whether this CPU runs a model's int8 variant as accurately as it was measured.

ONNX Runtime's x86 int8 convolutions multiply uint8 activations by int8 weights. With a dot-product
instruction for it (AVX-512 VNNI, AVX-VNNI, AMX) the products are summed in 32 bits. Without one
(plain AVX2, e.g. the AMD EPYC this project's CI ran on) the kernel uses ``vpmaddubsw``, whose
16-bit pair sums saturate on weights quantised to the full int8 range (our models were quantised
with ``reduce_range`` off). Measured there (``python -m photoapp.bench.accuracy --precision fp32
int8``): the int8 detector lost 0.043 recall and 0.063 precision at score 0.5 (its gate is 0.02),
while the int8 tagger still passed its gates (top-1 -0.4 points, mean embedding cosine 0.9914).
So a variant whose manifest says ``"needs_vnni": true`` runs only where the CPU has one of those
instructions; elsewhere the bundle runs the fp32 model and says so in the log.

``PHOTOAPP_CPU_FLAGS`` (space-separated flags) replaces what /proc/cpuinfo says: for diagnosis and
for tests of both paths on one machine.
"""
from __future__ import annotations

import functools
import os
import platform

INT8_DOT_PRODUCT_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})
_X86 = ("x86_64", "amd64", "i386", "i686", "x86")


def parse_cpuinfo_flags(text: str) -> frozenset[str]:
    """The feature flags of the first processor listed in a /proc/cpuinfo text."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


@functools.lru_cache(maxsize=1)
def _system_flags() -> frozenset[str] | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            return parse_cpuinfo_flags(f.read())
    except OSError:
        return None  # not Linux: the flags are unknown


def cpu_flags() -> frozenset[str] | None:
    override = os.environ.get("PHOTOAPP_CPU_FLAGS")
    if override is not None:
        return frozenset(override.split())
    return _system_flags()


def has_int8_dot_product(flags: frozenset[str] | None = None, machine: str | None = None) -> bool:
    """True where int8 products are summed exactly: x86 with VNNI/AMX, and non-x86 CPUs (ARM's
    int8 kernels use SDOT/UDOT or widen before adding). An x86 CPU whose flags cannot be read
    counts as lacking it: fp32 is slower there, never wrong."""
    machine = (machine or platform.machine()).lower()
    if machine not in _X86 and "PHOTOAPP_CPU_FLAGS" not in os.environ and flags is None:
        return True
    flags = cpu_flags() if flags is None else flags
    return bool(flags and flags & INT8_DOT_PRODUCT_FLAGS)

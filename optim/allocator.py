"""Keep large freed buffers for reuse instead of handing them back to the system.

glibc returns big blocks to the kernel when they are freed and PyTorch asks for them again
at the next step, so every step pays page faults: about 18% of the network's time on a quiet
machine, and several times more under load. Raising glibc's mmap and trim thresholds keeps
those blocks in the heap, and a finished run hands them back (``hand_back_freed_memory``), so
that a process drawing one thing after another (a gallery, a notebook, the tests) holds its
largest run's memory, not the sum of every run's leftovers. A no-op where glibc is not the
allocator.
"""

from __future__ import annotations

import ctypes
import gc
import sys

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters
SETTINGS = {
    M_MMAP_THRESHOLD: 32 * 2**20,  # glibc's largest (half its heap size): blocks below come from the heap
    M_TRIM_THRESHOLD: 2**31 - 1,  # never trim the heap's top back to the system
    M_TOP_PAD: 2**30,  # grow the heap in large steps
}


def keep_freed_memory() -> bool:
    """Tune glibc's malloc for a long loop of same-sized tensors; True if it took effect."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return all(mallopt(param, value) == 1 for param, value in SETTINGS.items())


def hand_back_freed_memory() -> bool:
    """Free what a finished run left in reference cycles (the network's and the autograd
    graph's tensors wait for Python's rare full collections otherwise: a process drawing one
    thing after another grew by gigabytes), then return the heap's free memory to the system,
    as glibc would without the settings above; True if it could."""
    gc.collect()
    if not sys.platform.startswith("linux"):
        return False
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    malloc_trim.argtypes = [ctypes.c_size_t]
    malloc_trim(0)
    return True

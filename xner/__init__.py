"""xner: cross-lingual NER for low-resource languages (label projection vs teacher-student).

Importing xner before torch makes torch's OpenMP threads sleep while they wait for work instead
of spinning (``OMP_WAIT_POLICY=PASSIVE``, unless the environment sets it): on a CPU shared with
other jobs (a sweep's parallel workers, a busy server) spinning threads steal each other's cores.
Measured on 2 busy cores (load 9), one multilingual-e5-small training step, batch 8: 16.4 s with
two spinning threads, 2.9 s with one thread, 1.1 s with two sleeping threads.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

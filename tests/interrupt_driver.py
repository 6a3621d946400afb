"""``python tests/interrupt_driver.py HOOK APP.py ARGS...``: the app as ``__main__``, with one
test hook, so a test can signal or kill it at a known moment instead of guessing with sleeps.

HOOK is one of
- ``training``: at the first training batch print ``MARK`` on stderr, then wait (a long batch);
- ``aligning``: the eflomal binary's call prints ``MARK`` and waits on a child process, as it does
  on the eflomal binary (both get a terminal's Ctrl-C);
- ``after_fit``: once the best validation checkpoint is restored, the process SIGKILLs itself
  (before its test metrics are logged);
- ``none``: no hook (the same process shape, for comparison).
"""

import os
import runpy
import signal
import subprocess
import sys
import time
from pathlib import Path

MARK = "xner-test: hook reached"
REPO_ROOT = Path(__file__).resolve().parents[1]
WAIT_S = 300  # longer than any test waits: the test's signal ends it


def _mark() -> None:
    print(MARK, file=sys.stderr, flush=True)


def _training() -> None:
    import pytorch_lightning as pl

    import xner.models.trainer as trainer

    class Stall(pl.Callback):
        def on_train_batch_start(self, *args, **kwargs) -> None:
            _mark()
            time.sleep(WAIT_S)

    build = trainer.build_callbacks
    trainer.build_callbacks = lambda *a, **k: [*build(*a, **k), Stall()]


def _aligning() -> None:
    import xner.align.eflomal as aligner

    align = aligner.run_eflomal

    def stalled(*args, **kwargs):
        _mark()
        subprocess.call(["sleep", str(WAIT_S)])  # silent when signalled, as eflomal is
        return align(*args, **kwargs)

    aligner.run_eflomal = stalled


def _after_fit() -> None:
    import xner.methods.training as training

    restore = training._restore

    def restore_then_die(*args, **kwargs):
        restore(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    training._restore = restore_then_die


HOOKS = {"training": _training, "aligning": _aligning, "after_fit": _after_fit, "none": None}


def main() -> None:
    hook, app, *args = sys.argv[1:]
    sys.path.insert(0, str(REPO_ROOT))
    if HOOKS[hook] is not None:
        HOOKS[hook]()
    sys.argv = [app, *args]
    runpy.run_path(str(REPO_ROOT / app), run_name="__main__")


if __name__ == "__main__":
    main()

"""A reader of stdout that goes away (``| head``, a closed terminal) does not fail a logged run."""

import io
import os
import subprocess
import sys

import pytest

from helpers import app_arguments, clean_env, store_uri
from xner.run.stdout import ForgivingStream


def test_a_broken_pipe_sends_the_rest_to_devnull():
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone
    stream = ForgivingStream(io.TextIOWrapper(io.FileIO(write_end, "w"), line_buffering=True))
    try:
        assert stream.write("score\n") == 6  # EPIPE on the line's flush, swallowed
        stream.write("more\n")
        stream.flush()
        assert os.path.samefile(f"/proc/self/fd/{write_end}", os.devnull)
    finally:
        stream.close()


@pytest.mark.slow
def test_train_with_its_stdout_closed_finishes_its_run(repo_root, tmp_path):
    from mlflow.tracking import MlflowClient

    command = [sys.executable, "train.py", *app_arguments(tmp_path, "+debug=tiny")]
    process = subprocess.Popen(
        command, cwd=repo_root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env()
    )
    process.stdout.close()  # as `python train.py ... | head -0` does
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=600) == 0, stderr[-3000:]
    assert "BrokenPipeError" not in stderr and "Logging error" not in stderr
    client = MlflowClient(tracking_uri=store_uri(tmp_path))
    (run,) = client.search_runs([client.get_experiment_by_name("xner").experiment_id])
    assert run.info.status == "FINISHED" and "test/f1" in run.data.metrics

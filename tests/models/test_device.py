"""``auto`` device and precision: what a CPU or a GPU run gets, and why (one log line)."""

import logging

import pytest

from xner import device


def test_bf16_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16 amx_tile amx_bf16\n")
    assert device.cpu_bf16_flags(str(info)) == ("avx512_bf16", "amx_bf16")
    older = tmp_path / "cpuinfo-avx2"
    older.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 fma\n")
    assert device.cpu_bf16_flags(str(older)) == ()


def test_no_cpuinfo_means_no_bf16(tmp_path):
    assert device.cpu_bf16_flags(str(tmp_path / "missing")) == ()


@pytest.mark.parametrize(
    ("flags", "accelerator", "cuda", "expected"),
    [
        (("amx_bf16",), "cpu", False, "bf16-mixed"),
        (("avx512_bf16",), "auto", False, "bf16-mixed"),
        ((), "auto", False, "32-true"),
        (("amx_bf16",), "auto", True, "32-true"),  # a GPU run keeps full precision
        (("amx_bf16",), "gpu", True, "32-true"),
    ],
)
def test_auto_precision(monkeypatch, caplog, flags, accelerator, cuda, expected):
    import torch

    monkeypatch.setattr(device, "cpu_bf16_flags", lambda: flags)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    device._say_once.cache_clear()
    caplog.set_level(logging.INFO, logger="xner.device")
    assert device.resolve_precision("auto", accelerator) == expected
    assert device.resolve_precision("auto", accelerator) == expected
    said = [r.message for r in caplog.records if "precision=auto" in r.message]
    assert len(said) == 1 and expected in said[0]


def test_an_explicit_precision_is_kept(monkeypatch):
    monkeypatch.setattr(device, "cpu_bf16_flags", lambda: ("amx_bf16",))
    assert device.resolve_precision("32-true", "cpu") == "32-true"
    assert device.resolve_precision("16-mixed", "gpu") == "16-mixed"


def test_the_trainer_config_names_the_resolved_precision(monkeypatch):
    from helpers import composed
    from xner.methods.settings import trainer_config

    monkeypatch.setattr(device, "cpu_bf16_flags", lambda: ("amx_bf16",))
    cfg = composed("train", "trainer.accelerator=cpu")
    assert cfg.trainer.precision == "auto"
    assert trainer_config(cfg)["precision"] == "bf16-mixed"
    monkeypatch.setattr(device, "cpu_bf16_flags", lambda: ())
    assert trainer_config(cfg)["precision"] == "32-true"
    assert trainer_config(composed("train", "+debug=tiny"))["precision"] == "32-true"


@pytest.mark.parametrize(("given", "expected"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_openmp_threads_sleep_while_they_wait_unless_told_otherwise(repo_root, given, expected):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given:
        env["OMP_WAIT_POLICY"] = given
    code = "import xner, os; print(os.environ['OMP_WAIT_POLICY'])"
    done = subprocess.run([sys.executable, "-c", code], cwd=repo_root, env=env, text=True,
                          capture_output=True, check=True)  # fmt: skip
    assert done.stdout.strip() == expected

"""A one-node SLURM cluster in a folder, for trying ``hydra/launcher=slurm`` without a cluster.

Debian's ``slurm-wlm`` and ``munge`` (SLURM 22.05) are enough: a munge key and socket, a
``slurm.conf`` with the machine's CPUs and memory, ``munged``, ``slurmctld`` and ``slurmd``
started as this user (root), and a wait until the node is idle. Everything it writes lies in
the folder; :meth:`LocalSlurm.stop` ends exactly the processes it started (by PID). Clients
(``sbatch``, ``squeue``, submitit) find the cluster through ``$SLURM_CONF``.

    python -m xner.cluster.slurm_local /tmp/slurm     # starts it, prints the export, waits
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from xner.errors import ConfigError

PACKAGES = {
    "munged": "munge",
    "slurmctld": "slurm-wlm",
    "slurmd": "slurm-wlm",
    "sbatch": "slurm-wlm",
}
PARTITION = "debug"


def missing_packages() -> list[str]:
    """The Debian packages whose programs are not on this machine."""
    return sorted({pkg for prog, pkg in PACKAGES.items() if shutil.which(prog) is None})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise ConfigError("cannot read the machine's memory from /proc/meminfo")


def slurm_conf(folder: Path, host: str, cpus: int, memory_mb: int, ports: tuple[int, int]) -> str:
    """A ``slurm.conf`` for one node, every path inside ``folder``."""
    return "\n".join(
        [
            "ClusterName=xner",
            f"SlurmctldHost={host}(127.0.0.1)",  # no name lookup needed
            "SlurmUser=root",
            "SlurmdUser=root",
            f"SlurmctldPort={ports[0]}",
            f"SlurmdPort={ports[1]}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={folder}/munge/munge.socket",
            "MpiDefault=none",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "ReturnToService=2",
            "SlurmdParameters=config_overrides",  # CPUs may exceed the cores: tasks share them
            "SchedulerType=sched/backfill",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "KillWait=10",  # seconds between a job's SIGTERM and its SIGKILL
            "MinJobAge=300",  # keep finished jobs visible to squeue/scontrol for 5 min
            "InactiveLimit=0",
            "SlurmctldTimeout=30",
            "SlurmdTimeout=30",
            f"StateSaveLocation={folder}/state",
            f"SlurmdSpoolDir={folder}/spool",
            f"SlurmctldPidFile={folder}/slurmctld.pid",
            f"SlurmdPidFile={folder}/slurmd.pid",
            f"SlurmctldLogFile={folder}/log/slurmctld.log",
            f"SlurmdLogFile={folder}/log/slurmd.log",
            f"NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN",
            f"PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
            "",
        ]
    )


@dataclass
class LocalSlurm:
    """The cluster's folder and the processes this object started."""

    folder: Path
    cpus: int = field(default_factory=lambda: os.cpu_count() or 1)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        return self.folder / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        """What a client of this cluster needs in its environment."""
        return {"SLURM_CONF": str(self.conf)}

    def start(self, timeout: float = 60) -> LocalSlurm:
        missing = missing_packages()
        if missing:
            raise ConfigError(
                f"a local SLURM cluster needs the Debian packages {', '.join(missing)} "
                f"(apt-get install -y {' '.join(missing)})"
            )
        for sub in ("munge", "state", "spool", "log"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder / "munge", 0o700)
        key = self.folder / "munge" / "munge.key"
        if not key.exists():
            key.write_bytes(os.urandom(1024))
        os.chmod(key, 0o400)
        host = socket.gethostname().split(".")[0]
        memory = max(_memory_mb() - 1024, 512)
        self.conf.write_text(
            slurm_conf(self.folder, host, self.cpus, memory, (_free_port(), _free_port()))
        )
        munge = self.folder / "munge"
        self._spawn(
            "munged",
            ["munged", "--foreground", "--force", f"--key-file={key}"]
            + [f"--socket={munge}/munge.socket", f"--pid-file={munge}/munged.pid"]
            + [f"--log-file={munge}/munged.log", f"--seed-file={munge}/munged.seed"],
        )
        self._wait(lambda: (munge / "munge.socket").exists(), timeout, "munged's socket")
        self._spawn("slurmctld", ["slurmctld", "-D", "-i", "-f", str(self.conf)])
        self._spawn("slurmd", ["slurmd", "-D", "-f", str(self.conf)])
        self._wait(self.idle, timeout, "the node to be idle (sinfo)")
        return self

    def _spawn(self, name: str, command: list[str]) -> None:
        log = open(self.folder / "log" / f"{name}.out", "ab")  # noqa: SIM115 - the daemon's
        env = {**os.environ, **self.env}
        self.processes[name] = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    self.stop()
                    raise ConfigError(
                        f"{name} exited with {process.returncode} while waiting for {what}; "
                        f"see {self.folder / 'log'}"
                    )
            if ready():
                return
            time.sleep(0.3)
        self.stop()
        raise ConfigError(f"no {what} after {timeout:.0f} s; see {self.folder / 'log'}")

    def run(self, *command: str, check: bool = True) -> str:
        """A client command (``sinfo``, ``squeue``, ``scancel``, ...) against this cluster."""
        done = subprocess.run(
            list(command),
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            timeout=60,
            check=False,
        )
        if check and done.returncode != 0:
            raise ConfigError(f"{' '.join(command)}: {done.stderr.strip() or done.returncode}")
        return done.stdout

    def idle(self) -> bool:
        out = self.run("sinfo", "-h", "-o", "%T", check=False).split()
        return out == ["idle"]

    def stop(self) -> None:
        """End the daemons this object started, newest first: SIGTERM, then SIGKILL."""
        for name, process in reversed(list(self.processes.items())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            del self.processes[name]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where the cluster's files go")
    args = parser.parse_args(argv)
    try:
        cluster = LocalSlurm(args.folder.resolve()).start()
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"export SLURM_CONF={cluster.conf}   # then: sinfo; train.py -m ... hydra/launcher=slurm")
    print("Ctrl-C stops the cluster.", flush=True)
    stops = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    try:
        signal.sigwait(stops)
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

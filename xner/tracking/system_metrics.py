"""MLflow's system metrics (CPU, memory, disk, network; GPU when present) for a job's run.

A background thread samples every ``interval`` seconds and logs ``system/*`` metrics: cheap
enough that a short run is not slowed (it sleeps between samples). ``tracking.system_metrics:
false`` turns it off.
"""

import logging
from typing import Any

log = logging.getLogger(__name__)


def start_monitor(uri: str, run_id: str, interval: float) -> Any | None:
    """A started monitor of the run, or None (with a warning) when it cannot start."""
    try:
        from mlflow.system_metrics.system_metrics_monitor import SystemMetricsMonitor

        logging.getLogger("mlflow.system_metrics").setLevel(logging.WARNING)  # start/stop chatter
        monitor = SystemMetricsMonitor(run_id, sampling_interval=interval, tracking_uri=uri)
        monitor.start()
    except Exception as err:  # psutil missing, an old MLflow: the run goes on without them
        log.warning("no system metrics for run %s: %s", run_id, err)
        return None
    return monitor


def stop_monitor(monitor: Any | None) -> None:
    """Stop sampling; what was sampled is logged before the run ends."""
    if monitor is None:
        return
    try:
        monitor.finish()
    except Exception as err:  # the store may be what failed; the run's end is reported there
        log.warning("system metrics monitor did not stop cleanly: %s", err)

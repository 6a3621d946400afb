"""What compute accounting costs: one measured stage, and the system-metrics sampler.

    python bench/cost_overhead.py [--repeat 2000]

Prints the time of ``measuring()`` around an empty block (the per-stage overhead: a stage
takes seconds to hours) and the CPU the MLflow system-metrics thread uses per sample.
"""

import argparse
import statistics
import tempfile
import time


def per_stage(repeat: int) -> list[float]:
    from xner.pipeline.cost import measuring

    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with measuring():
            pass
        times.append(time.perf_counter() - start)
    return times


def sampler_cpu(samples: int, interval: float) -> float:
    """CPU seconds of this process per sample while the monitor runs and the process sleeps."""
    from mlflow.tracking import MlflowClient

    from xner.tracking.system_metrics import start_monitor, stop_monitor

    with tempfile.TemporaryDirectory() as tmp:
        uri = f"sqlite:///{tmp}/m.db"
        client = MlflowClient(uri)
        experiment = client.create_experiment("bench", artifact_location=f"file://{tmp}/a")
        run_id = client.create_run(experiment).info.run_id
        cpu = time.process_time()
        monitor = start_monitor(uri, run_id, interval)
        time.sleep(samples * interval)
        stop_monitor(monitor)
        return (time.process_time() - cpu) / samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args()
    times = per_stage(args.repeat)
    print(
        f"measuring() around an empty block: median {statistics.median(times) * 1e6:.0f} us, "
        f"p99 {sorted(times)[int(0.99 * len(times))] * 1e6:.0f} us ({args.repeat} calls)"
    )
    print(f"system-metrics sampler: {sampler_cpu(args.samples, 0.5) * 1e3:.1f} ms CPU per sample")


if __name__ == "__main__":
    main()

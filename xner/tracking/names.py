"""The MLflow tag and artifact names that runs are written with and read back by, in one place."""

# Tags MLflow itself reads.
PARENT_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"  # a run's description in the MLflow UI
DATA_CONTEXT_TAG = "mlflow.data.context"  # on a dataset input: the split it is
# MLflow >= 3.2 opens experiments in its GenAI view; this tag marks a classic ML experiment
# (the UI's experiment-kind selector). MLflow 3.17's UI follows its workflow-type switch instead:
# open `#/experiments/<id>/runs?workflowType=machine_learning` (README, "Reading the results").
EXPERIMENT_TAGS = {"mlflow.experimentKind": "custom_model_development"}

# Tags xner writes.
ROLE_TAG = "xner.role"  # "parent" (a sweep), "report"; on a dataset input: the data's role
APP_TAG = "xner.app"  # the entry point that ran the job (train.py, project.py)
CONFIG_HASH_TAG = "xner.config_hash"  # a job's resolved config: a restarted sweep skips done jobs
RERUN_TAG = "xner.rerun_of"  # on a rerun: the run it repeats
REUSED_TAG = "xner.reused"  # on a parent run: finished runs a restarted sweep did not redo
ERROR_TAG = "xner.error"  # on a failed job's run: its one-line reason
FAILED_JOBS_TAG = "xner.failed_jobs"  # on a sweep's parent run: the run names of failed jobs
FULL_NAME_TAG = "xner.full_run_name"  # a run name longer than a PostgreSQL store keeps
HOST_TAG, PID_TAG = "xner.host", "xner.pid"  # who runs a job: lets a rerun spot a killed one
ABANDONED_TAG = "xner.abandoned"
SWEEP_DIR_TAG = "xner.sweep_dir"  # on a parent run: the sweep's output folder
METRIC_TAG = "xner.metric"  # on a report run: the metric of its table
GAP_RULE_TAG = "xner.gap_rule"  # on a report run: how the projection column was chosen
SCORE_MODE_TAG = "xner.score_mode"  # the scoring mode a run's metrics were computed with
TARGET_DEV_TAG = "xner.target_dev_selection"  # a model selected on target-language dev data

# Method names the variant tag and the gap table tell projection from teacher-student by.
PROJECTION_METHODS = ("translate_test", "translate_train")
TEACHER_STUDENT = "teacher_student"

# Artifacts every job logs, and the file a sweep keeps its parent run's id in.
CONFIG_ARTIFACT = "config/config.yaml"
OVERRIDES_ARTIFACT = "config/overrides.yaml"
ENVIRONMENT_ARTIFACT = "config/environment.json"
PARENT_ID_FILE = "mlflow_parent_run_id"

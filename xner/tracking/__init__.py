"""MLflow tracking: writing runs (one per job, a parent per sweep) and reading them back."""

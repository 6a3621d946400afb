"""The Hydra job: config choices, preflight checks, the job body and the sweep callbacks."""

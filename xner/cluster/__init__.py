"""Running jobs on a cluster: a local one-node SLURM for trying and testing the path."""

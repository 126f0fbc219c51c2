"""Running pipelines: one task runner (``task.py``), launched locally or on Slurm."""

"""``fineweb-kit run PIPELINE.yaml``: run a pipeline (all stages, or one task of one stage)."""

from __future__ import annotations

import argparse

from fineweb_kit.executors.plan import make_plan


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a pipeline", description=__doc__)
    p.add_argument("pipeline", help="pipeline YAML file")
    p.add_argument(
        "--input",
        action="append",
        metavar="GLOB",
        help="input files for the first reader (repeatable); overrides its paths",
    )
    p.add_argument("--output", metavar="DIR", help="output folder; overrides `output:`")
    p.add_argument("--tasks", type=int, help="number of tasks per stage")
    p.add_argument("--workers", type=int, help="parallel worker processes")
    p.add_argument("--executor", choices=["local", "slurm", "ray"], help="override executor.type")
    p.add_argument("--stage", help="run only this stage (name or index)")
    p.add_argument("--rank", type=int, help="with --stage: run only this task (Slurm array tasks)")
    p.add_argument("--plain", action="store_true", help="plain log lines instead of progress bars")
    p.add_argument(
        "--dry-run", action="store_true", help="slurm: print the sbatch scripts, submit nothing"
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="slurm: wait until all jobs ended; exit 1 if any task failed",
    )
    p.add_argument(
        "--merge-stats",
        action="store_true",
        help="only merge the markers of the output folder into stats.json (the Slurm stats job)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = make_plan(
        args.pipeline,
        inputs=args.input,
        output=args.output,
        tasks=args.tasks,
        workers=args.workers,
        executor=args.executor,
    )
    plain = True if args.plain else None
    if args.merge_stats:
        return merge_stats(plan)
    stages = None
    if args.stage is not None:
        index, _ = plan.pipeline.stage(args.stage)
        stages = [index]
        if args.rank is not None:
            return run_one_task(plan, index, args.rank)
    if plan.executor.get("type") == "slurm":
        from fineweb_kit.executors.slurm import submit

        return submit(plan, stages, dry_run=args.dry_run, wait=args.wait)
    if plan.executor.get("type") == "ray":
        from fineweb_kit.executors.ray import run_ray

        return run_ray(plan, stages)
    if args.dry_run or args.wait:
        from fineweb_kit.exceptions import ConfigError

        raise ConfigError("--dry-run and --wait are for the slurm executor (--executor slurm)")
    from fineweb_kit.executors.local import run_local

    return run_local(plan, stages, plain=plain)


def merge_stats(plan) -> int:
    """Merges every stage's markers into OUTPUT/stats.json (what the Slurm stats job runs)."""
    from fineweb_kit.executors.state import RunFolder

    RunFolder(plan.output).write_stats(plan.pipeline.name, [s.name for s in plan.pipeline.stages])
    print(f"wrote {plan.output / 'stats.json'}")
    return 0


def run_one_task(plan, stage_index: int, rank: int) -> int:
    """Runs a single task (what each Slurm array task does)."""
    from fineweb_kit.executors.local import report_failures
    from fineweb_kit.executors.state import RunFolder
    from fineweb_kit.executors.task import run_task

    folder = RunFolder(plan.output)
    folder.claim(plan.raw, plan.pipeline.source)
    tasks = plan.tasks(stage_index)
    if not 0 <= rank < tasks:
        from fineweb_kit.exceptions import ConfigError

        raise ConfigError(f"--rank {rank}: the stage has {tasks} tasks (0..{tasks - 1})")
    result = run_task(plan.task(stage_index, rank))
    if not result.ok:
        report_failures(plan, stage_index, [result])
        return 1
    name = plan.pipeline.stages[stage_index].name
    print(
        f"stage {name} task {rank}/{tasks}: {result.done} file(s) done, {result.skipped} done "
        f"before; log {folder.log_file(name, rank)}"
    )
    return 0

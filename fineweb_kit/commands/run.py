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
    p.add_argument("--executor", choices=["local"], help="override executor.type")
    p.add_argument("--stage", help="run only this stage (name or index)")
    p.add_argument("--rank", type=int, help="with --stage: run only this task (Slurm array tasks)")
    p.add_argument("--plain", action="store_true", help="plain log lines instead of progress bars")
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
    stages = None
    if args.stage is not None:
        index, _ = plan.pipeline.stage(args.stage)
        stages = [index]
        if args.rank is not None:
            return run_one_task(plan, index, args.rank)
    from fineweb_kit.executors.local import run_local

    return run_local(plan, stages, plain=plain)


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
    result = run_task(plan.raw, plan.pipeline.source, stage_index, rank, tasks, str(plan.output))
    if not result.ok:
        report_failures(plan, stage_index, [result])
        return 1
    return 0

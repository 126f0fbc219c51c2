"""Slurm executor without a cluster: --dry-run scripts, array splitting, reruns, config errors."""

from __future__ import annotations

import re

import pytest

from fineweb_kit.executors.slurm_queue import compress_indices, expand_indices, parse_squeue
from tests.conftest import REPO
from tests.executors.slurm.helpers import copy_stage
from tests.pipeline.helpers import cli, split_cc_docs, write_pipeline


def _config(tmp_path, tasks: int, **executor) -> dict:
    return {
        "name": "copy",
        "output": str(tmp_path / "out"),
        "executor": {"type": "slurm", "max_array_size": 4, **executor},
        "stages": [
            copy_stage("copy", str(tmp_path / "in" / "*.jsonl.gz"), "docs", tasks),
            copy_stage("again", "{output}/docs/*.jsonl.gz", "again", 2),
        ],
    }


def _scripts(stdout: str) -> list[tuple[str, str]]:
    """(sbatch command line, script) pairs of a --dry-run output."""
    chunks = re.split(r"^(# sbatch.*)$", stdout, flags=re.MULTILINE)[1:]
    return list(zip(chunks[::2], chunks[1::2], strict=True))


def test_dry_run_splits_large_arrays_and_writes_nothing(tmp_path):
    split_cc_docs(tmp_path / "in", 10, limit=50)
    cfg = write_pipeline(tmp_path / "p.yaml", _config(tmp_path, 10))
    proc = cli("run", str(cfg), "--dry-run", check=True)
    scripts = _scripts(proc.stdout)
    assert len(scripts) == 5  # copy: 3 parts of <= 4 tasks; again: 1; the stats job
    assert _arrays(proc.stdout) == [("0-3", "0"), ("0-3", "4"), ("0-1", "8"), ("0-1", "0")]
    # the second stage depends on all three parts of the first; the stats job on everything
    assert "00_copy.part0.sh 00_copy.part1.sh 00_copy.part2.sh" in scripts[3][0]
    assert "afterok" in scripts[3][0] and "afterany" in scripts[4][0]
    for _, script in scripts[:4]:
        assert "#SBATCH --kill-on-invalid-dep=yes" in script
        assert f"export PYTHONPATH={REPO}" in script
        assert re.search(
            r"-m fineweb_kit run \S+/out/slurm/pipeline.yaml --stage \w+ --rank", script
        )
    assert f"--output={tmp_path}/out/logs/copy/slurm_%A_%a.out" in scripts[0][1]
    assert "--merge-stats" in scripts[4][1]
    assert not (tmp_path / "out").exists()


def _arrays(stdout: str) -> list[tuple[str, str]]:
    """(array list, rank offset) of each array script of a --dry-run output."""
    return [
        (re.search(r"--array=(\S+)", s).group(1), re.search(r"TASK_ID \+ (\d+)", s).group(1))
        for _, s in _scripts(stdout)
        if "--array=" in s
    ]


def test_dry_run_after_a_partial_run_lists_only_unfinished_ranks(tmp_path):
    split_cc_docs(tmp_path / "in", 10, limit=50)
    config = _config(tmp_path, 10)
    config["executor"] = {"type": "local", "tasks": 10, "workers": 1}
    config["stages"] = config["stages"][:1]
    cli("run", str(write_pipeline(tmp_path / "p.yaml", config)), "--plain", check=True)
    for i in (5, 9):  # as if the tasks of files 5 and 9 had died
        (tmp_path / "out" / "_state" / "copy" / "files" / f"{i:05d}.json").unlink()
    for max_array, expected in ((16, [("5,9", "0")]), (4, [("1", "4"), ("1", "8")])):
        config["executor"] = {"type": "slurm", "tasks": 10, "max_array_size": max_array}
        cfg = write_pipeline(tmp_path / "q.yaml", config)
        assert _arrays(cli("run", str(cfg), "--dry-run", check=True).stdout) == expected


def test_executor_options_become_sbatch_directives(tmp_path):
    split_cc_docs(tmp_path / "in", 2, limit=10)
    executor = {
        "partition": "cpu",
        "time": "1-02:00:00",
        "cpus_per_task": 4,
        "mem_per_cpu_gb": 1.5,
        "max_concurrent": 2,
        "job_name": "cc",
        "setup": ["module load python/3.11"],
        "sbatch_args": {"account": "proj", "qos": "low", "exclusive": True, "requeue": False},
    }
    cfg = write_pipeline(tmp_path / "p.yaml", _config(tmp_path, 2, **executor))
    script = _scripts(cli("run", str(cfg), "--dry-run", check=True).stdout)[0][1]
    for line in (
        "--array=0-1%2",
        "--job-name=cc-copy",
        "--partition=cpu",
        "--time=1-02:00:00",
        "--cpus-per-task=4",
        "--mem-per-cpu=1536M",
        "--account=proj",
        "--qos=low",
        "--exclusive",
    ):
        assert f"#SBATCH {line}\n" in script
    assert "requeue" not in script
    assert script.index("module load python/3.11") < script.index("exec ")


@pytest.mark.parametrize(
    ("executor", "message"),
    [
        ({"time": "1 hour"}, "executor.time: expected a Slurm time limit"),
        ({"cpus_per_task": 0}, "executor.cpus_per_task: expected an integer >= 1"),
        ({"mem_per_cpu_gb": -1}, "executor.mem_per_cpu_gb: expected a number > 0"),
        ({"sbatch_args": {"array": "0-3"}}, "sbatch_args.array: not allowed"),
        ({"sbatch_args": {"partition": "x"}}, "use executor.partition"),
        ({"sbatch_args": {"mail type": "END"}}, "not an sbatch option name"),
        ({"setup": "module load x"}, "executor.setup: expected a list of shell lines"),
        ({"partitoin": "cpu"}, "did you mean 'partition'?"),
        ({"workers": 4}, "executor.workers: unknown key for the slurm executor"),
    ],
)
def test_config_errors_exit_2_before_anything(tmp_path, executor, message):
    split_cc_docs(tmp_path / "in", 1, limit=5)
    cfg = write_pipeline(tmp_path / "p.yaml", _config(tmp_path, 2, **executor))
    proc = cli("run", str(cfg))
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert str(cfg) in proc.stderr and not (tmp_path / "out").exists()


def test_wait_and_dry_run_are_refused_for_the_local_executor(tmp_path):
    split_cc_docs(tmp_path / "in", 1, limit=5)
    cfg = write_pipeline(tmp_path / "p.yaml", _config(tmp_path, 1))
    proc = cli("run", str(cfg), "--executor", "local", "--dry-run")
    assert proc.returncode == 2 and "slurm executor" in proc.stderr


def test_array_index_lists():
    assert expand_indices("0-2,5") == [0, 1, 2, 5]
    assert expand_indices("[0-6:3]%2") == [0, 3, 6]
    assert compress_indices([9, 0, 1, 2, 5, 7, 8]) == "0-2,5,7-9"
    for values in ([0], [3, 4], list(range(0, 50, 7)), [1, 2, 3, 10, 11, 40]):
        assert expand_indices(compress_indices(values)) == values
    # squeue -t all -h -o '%F|%K|%T|%r' (format copied from Slurm 22.05 on the test cluster)
    tasks = parse_squeue("4|0,2|CANCELLED|DependencyNeverSatisfied\n3|1|FAILED|NonZeroExitCode\n")
    assert [(t.job_id, t.index, t.state) for t in tasks] == [
        ("4", 0, "CANCELLED"),
        ("4", 2, "CANCELLED"),
        ("3", 1, "FAILED"),
    ]
    assert parse_squeue("7|N/A|RUNNING|None")[0].index is None


def test_one_stage_alone(tmp_path):
    split_cc_docs(tmp_path / "in", 3, limit=10)
    cfg = write_pipeline(tmp_path / "p.yaml", _config(tmp_path, 3))
    proc = cli("run", str(cfg), "--stage", "again", "--dry-run", check=True)
    scripts = _scripts(proc.stdout)
    assert [c.split()[-1].rsplit("/", 1)[1] for c, _ in scripts] == ["01_again.sh", "stats.sh"]
    assert "afterok" not in scripts[0][0]  # nothing submitted before it to wait for
    assert "--stage again --rank" in scripts[0][1]


def test_url_run_folder_is_refused_at_validate_and_run_with_what_to_do(tmp_path):
    split_cc_docs(tmp_path / "in", 2, limit=10)
    config = {**_config(tmp_path, 2), "output": "s3://bucket/run"}
    cfg = write_pipeline(tmp_path / "p.yaml", config)
    local = write_pipeline(tmp_path / "local.yaml", {**config, "executor": {"type": "local"}})
    message = "{}: output: s3://bucket/run: the slurm executor keeps its run folder"
    for args in (
        ("validate", str(cfg)),
        ("run", str(cfg)),
        ("run", str(cfg), "--dry-run"),
        ("run", str(local), "--executor", "slurm"),
        ("run", str(local), "--executor", "slurm", "--output", "s3://bucket/run"),
    ):
        proc = cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message.format(args[1]) in proc.stderr, proc.stderr
        assert "pass a shared folder as --output" in proc.stderr
        assert "--executor ray" in proc.stderr
    assert not (tmp_path / "out").exists()

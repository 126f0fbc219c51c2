"""The Slurm executor against a real one-node Slurm cluster, on real cc-docs documents."""

from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from tests.executors.slurm.helpers import copy_stage, job_states, two_stage_pipeline, wait_jobs
from tests.pipeline.helpers import cli, multiset, read_jsonl_folder, split_cc_docs, write_pipeline

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]


def _jobs(output) -> dict:
    return json.loads((output / "slurm" / "jobs.json").read_text())


def test_same_documents_as_local_executor(tmp_path):
    docs = split_cc_docs(tmp_path / "in", 5, limit=600)
    config = {
        "name": "copy",
        "executor": {"type": "local", "tasks": 3, "workers": 1},
        "stages": [copy_stage("copy", str(tmp_path / "in" / "*.jsonl.gz"), "docs", 3)],
    }
    cfg = write_pipeline(tmp_path / "p.yaml", config)
    local, slurm = tmp_path / "local", tmp_path / "slurm"
    cli("run", str(cfg), "--output", str(local), "--plain", check=True)
    # the same YAML, switched to Slurm on the command line; --wait polls until all jobs ended
    proc = cli("run", str(cfg), "--output", str(slurm), "--executor", "slurm", "--wait", check=True)
    assert "stage copy: job " in proc.stdout
    assert "[fineweb-kit] slurm tasks: 4 completed" in proc.stderr  # 3 tasks + the stats job
    assert multiset(read_jsonl_folder(slurm / "docs")) == multiset(docs)
    assert sorted(p.name for p in (slurm / "docs").iterdir()) == sorted(
        p.name for p in (local / "docs").iterdir()
    )
    assert set(job_states(slurm)[_jobs(slurm)["stages"]["copy"][0]["job_id"]]) == {"COMPLETED"}
    # each rank ran as its own array task, logging to logs/<stage>/slurm_<job>_<index>.out
    job = _jobs(slurm)["stages"]["copy"][0]["job_id"]
    assert sorted(p.name for p in (slurm / "logs" / "copy").glob("slurm_*.out")) == [
        f"slurm_{job}_{i}.out" for i in range(3)
    ]
    log = (slurm / "logs" / "copy" / f"slurm_{job}_1.out").read_text()
    assert "stage copy task 1/3: 2 file(s) done, 0 done before" in log  # files 1 and 4
    # the stats job merged the markers: same counts as the local run
    counters = [
        [s["counters"] for s in json.loads((out / "stats.json").read_text())["stages"][0]["steps"]]
        for out in (local, slurm)
    ]
    assert counters[0] == counters[1]
    assert counters[1][0]["documents_out"] == len(docs)
    # the array tasks re-read the resolved YAML written into the output folder
    resolved = (slurm / "slurm" / "pipeline.yaml").read_text()
    assert f"output: {slurm}" in resolved and "type: slurm" in resolved


def test_two_stages_run_in_dependency_order(tmp_path):
    docs = split_cc_docs(tmp_path / "in", 4, limit=400)
    out = tmp_path / "out"
    cfg = write_pipeline(tmp_path / "p.yaml", two_stage_pipeline(tmp_path / "in", out))
    proc = cli("run", str(cfg), check=True)
    assert "follow with: fineweb-kit status" in proc.stdout
    again = cli("run", str(cfg))  # while its jobs are queued, the same run is refused
    assert again.returncode == 2 and "still pending or running" in again.stderr
    states = wait_jobs(out)
    assert all(set(s) == {"COMPLETED"} for s in states.values()), states
    # stage final read the parts stage copy wrote, and started only after all of them existed
    inputs = json.loads((out / "_state" / "final" / "inputs.json").read_text())
    assert [p.rsplit("/", 1)[1] for p in inputs] == sorted(p.name for p in (out / "mid").iterdir())
    copy_done = max(p.stat().st_mtime for p in (out / "_state" / "copy" / "files").iterdir())
    final_started = min(p.stat().st_mtime for p in (out / "logs" / "final").glob("task_*.log"))
    assert copy_done <= final_started
    assert multiset(read_jsonl_folder(out / "final")) == multiset(docs)
    status = cli("status", str(out))
    assert status.returncode == 0
    assert "stage final: 4/4 input files done, complete" in status.stdout
    assert "2 completed, 0 running, 0 pending, 0 failed, 0 cancelled" in status.stdout


def test_failed_task_cancels_later_stage_and_rerun_does_only_the_rest(tmp_path):
    docs = split_cc_docs(tmp_path / "in", 4, limit=400)
    bad = tmp_path / "in" / "in-002.jsonl.gz"  # index 2 of 4 files: rank 2 of 3 tasks
    good_bytes = bad.read_bytes()
    bad.write_bytes(good_bytes[: len(good_bytes) // 2])  # truncated gzip
    out = tmp_path / "out"
    cfg = write_pipeline(tmp_path / "p.yaml", two_stage_pipeline(tmp_path / "in", out))
    cli("run", str(cfg), check=True)
    states = wait_jobs(out)
    first = _jobs(out)["stages"]
    copy_job, final_job = first["copy"][0]["job_id"], first["final"][0]["job_id"]
    assert sorted(states[copy_job]) == ["COMPLETED", "COMPLETED", "FAILED"]
    assert set(states[final_job]) == {"CANCELLED"}  # afterok never satisfied: never ran
    assert not (out / "final").exists() and not (out / "_state" / "final").exists()
    assert not list((out / "logs" / "final").iterdir())  # no task of it started

    status = cli("status", str(out))
    assert status.returncode == 1
    slurm_log = out / "logs" / "copy" / f"slurm_{copy_job}_2.out"
    assert f"task 2 FAILED (NonZeroExitCode): slurm log {slurm_log}" in status.stdout
    assert "in-002.jsonl.gz" in status.stdout and "task_00002.log" in status.stdout
    assert "2 task(s) cancelled (DependencyNeverSatisfied)" in status.stdout
    assert "in-002.jsonl.gz" in slurm_log.read_text()  # the failure is in the task's Slurm log

    markers = out / "_state" / "copy" / "files"
    before = {p.name: p.stat().st_mtime_ns for p in [*markers.iterdir(), *(out / "mid").iterdir()]}
    assert sorted(p.name for p in markers.iterdir()) == ["00000.json", "00001.json", "00003.json"]

    bad.write_bytes(good_bytes)  # fix the input and rerun the same command
    proc = cli("run", str(cfg), "--wait", check=True)
    second = _jobs(out)["stages"]
    assert [p["ranks"] for p in second["copy"]] == [[2]]  # only the failed rank was resubmitted
    assert [p["ranks"] for p in second["final"]] == [[0, 1]]
    after = {p.name: p.stat().st_mtime_ns for p in [*markers.iterdir(), *(out / "mid").iterdir()]}
    assert {k: after[k] for k in before} == before  # finished files were not redone
    assert len(after) == len(before) + 2  # marker + part of file 2
    assert multiset(read_jsonl_folder(out / "final")) == multiset(docs)
    stats = json.loads((out / "stats.json").read_text())
    assert [s["steps"][0]["counters"]["documents_out"] for s in stats["stages"]] == [len(docs)] * 2
    assert cli("status", str(out)).returncode == 0
    # everything is done now: a third run submits nothing
    proc = cli("run", str(cfg), check=True)
    assert "nothing to do" in proc.stderr and _jobs(out)["stages"] == second


def test_config_and_input_errors_submit_nothing(tmp_path):
    split_cc_docs(tmp_path / "in", 2, limit=20)
    out = tmp_path / "out"
    config = two_stage_pipeline(tmp_path / "in", out)
    config["executor"]["partition"] = "no-such-partition"
    proc = cli("run", str(write_pipeline(tmp_path / "a.yaml", config)))
    assert proc.returncode == 2, proc.stderr
    assert "executor.partition: no partition 'no-such-partition'" in proc.stderr
    assert "(partitions: debug)" in proc.stderr and not out.exists()
    config["executor"].update(partition="debug", cpus_per_task=64)  # more CPUs than the node
    proc = cli("run", str(write_pipeline(tmp_path / "c.yaml", config)))
    assert proc.returncode == 1 and "sbatch" in proc.stderr  # the cluster refused it
    assert not (out / "slurm" / "jobs.json").exists()  # nothing recorded, nothing left queued
    config = two_stage_pipeline(tmp_path / "missing", tmp_path / "out2")
    proc = cli("run", str(write_pipeline(tmp_path / "b.yaml", config)))
    assert proc.returncode == 1 and "no input file matches" in proc.stderr
    assert not (tmp_path / "out2").exists()


def test_default_max_array_size_comes_from_the_cluster(tmp_path):
    split_cc_docs(tmp_path / "in", 1, limit=5)
    config = two_stage_pipeline(tmp_path / "in", tmp_path / "out", tasks=1002)
    proc = cli("run", str(write_pipeline(tmp_path / "p.yaml", config)), "--dry-run", check=True)
    # the test cluster's MaxArraySize is 1001 (indices 0..1000): 1002 tasks need two arrays,
    # but only rank 0 has an input file, so only it is submitted
    assert "#SBATCH --array=0\n" in proc.stdout
    config["stages"][0]["steps"][0]["paths"] = "{output}/../in/*.jsonl.gz"  # not listable yet
    proc = cli("run", str(write_pipeline(tmp_path / "q.yaml", config)), "--dry-run", check=True)
    assert "#SBATCH --array=0-1000\n" in proc.stdout and "#SBATCH --array=0\n" in proc.stdout
    assert "RANK=$((SLURM_ARRAY_TASK_ID + 1001))" in proc.stdout


def test_sample_pipeline_same_documents_as_local_executor(tmp_path):
    """pipelines/sample.yaml (real WARC records, all FineWeb filters) on Slurm and locally."""
    import yaml

    from tests.conftest import REPO

    config = yaml.safe_load((REPO / "pipelines" / "sample.yaml").read_text())
    config["stages"][0]["steps"][0]["paths"] = str(REPO / "pipelines/sample-data/*.warc.gz")
    for step in config["stages"][0]["steps"]:
        if step["type"] == "Trafilatura":
            step["timeout"] = 60.0  # a loaded CI machine must not turn pages into timeouts
    cfg = write_pipeline(tmp_path / "sample.yaml", config)
    local, slurm = tmp_path / "local", tmp_path / "slurm"
    cli("run", str(cfg), "--output", str(local), "--tasks", "3", "--plain", check=True)
    cli(
        "run",
        str(cfg),
        "--output",
        str(slurm),
        "--tasks",
        "3",
        "--executor",
        "slurm",
        "--wait",
        check=True,
    )
    kept = read_jsonl_folder(slurm / "output")
    assert kept and multiset(kept) == multiset(read_jsonl_folder(local / "output"))
    removed = [read_jsonl_folder(p) for p in sorted((slurm / "removed").iterdir())]
    local_removed = [read_jsonl_folder(p) for p in sorted((local / "removed").iterdir())]
    assert [multiset(r) for r in removed] == [multiset(r) for r in local_removed]


def test_run_folder_shared_data_in_a_bucket(tmp_path, s3_endpoint):
    """The way to a bucket from Slurm: the run folder (scripts, logs, markers) on the shared
    file system, the writer's `output_folder:` a URL; the array tasks inherit the AWS_*
    variables of the submitting shell (sbatch --export=ALL)."""
    from fineweb_kit.tools.local_s3 import s3fs_client
    from tests.s3 import cli_env

    docs = split_cc_docs(tmp_path / "in", 3, limit=60)
    fs = s3fs_client(s3_endpoint)
    fs.mkdir("slurm-bucket")
    config = {
        "name": "copy",
        "executor": {"type": "slurm", "time": "10"},
        "stages": [
            copy_stage("copy", str(tmp_path / "in" / "*.jsonl.gz"), "s3://slurm-bucket/docs", 3)
        ],
    }
    cfg = write_pipeline(tmp_path / "p.yaml", config)
    out = tmp_path / "run"
    env = cli_env(s3_endpoint, tmp_path)
    cli("run", str(cfg), "--output", str(out), "--wait", check=True, env=env)
    fs.invalidate_cache()
    keys = sorted(k for k in fs.find("slurm-bucket/docs") if k.endswith(".jsonl.gz"))
    assert len(keys) == 3 and not [k for k in fs.find("slurm-bucket") if k.endswith(".tmp")]
    got = Counter()
    for key in keys:
        lines = gzip.decompress(fs.cat_file(key)).decode().split("\n")
        got.update((r["id"], r["text"]) for r in map(json.loads, filter(None, lines)))
    assert got == multiset(docs)
    assert len(list((out / "_state" / "copy" / "files").glob("*.json"))) == 3

"""The other trackers' side of ``client_log_metric.py``: the same ``log_metric`` workload with
neptune (offline), Aim and MLflow, each installed into a virtualenv of its own under
``~/.cache/jupyter_tracker_bench/`` and run as a subprocess of this file, then read back in a
fresh process; and the table that sets them beside our client.

``client_log_metric.py`` calls :func:`measure_other` and :func:`print_others`; inside a tool's
virtualenv this file runs as ``python other_trackers.py --child-tool NAME --child-work DIR``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from client_log_metric import (
    INSTALL_TIMEOUT,
    METRIC,
    RESULT_PREFIX,
    TOOL_TIMEOUT,
    Measurement,
    Trial,
    bare_step_value,
    bare_value,
    make_values,
    time_call,
)


@dataclass(frozen=True)
class OtherTool:
    key: str  # the --child-tool name
    label: str
    venv: str  # folder name under the cache
    requirements: tuple[str, ...]  # tried in order until one installs
    max_points: int | None  # cap on --others-points for tools this slow to make data durable
    durable_what: str
    reference_us: float | None


OTHER_TOOLS = (
    OtherTool(
        "neptune",
        "neptune offline",
        "neptune",
        ("neptune", "neptune-client"),
        None,
        "run.stop()",
        43.0,
    ),
    OtherTool("aim", "Aim", "aim", ("aim",), None, "run.close()", 118.0),
    OtherTool(
        "mlflow-async-sqlite",
        "MLflow asynchronous, SQLite store",
        "mlflow",
        ("mlflow",),
        5_000,
        "mlflow.flush_async_logging()",
        367.0,
    ),
    OtherTool(
        "mlflow-async-file",
        "MLflow asynchronous, file store",
        "mlflow",
        ("mlflow",),
        20_000,
        "mlflow.flush_async_logging()",
        None,
    ),
    OtherTool(
        "mlflow-sync-sqlite",
        "MLflow synchronous, SQLite store",
        "mlflow",
        ("mlflow",),
        500,
        "(each call)",
        5000.0,
    ),
)
# Measured earlier on this machine and quoted, not run here.
REFERENCE_ONLY = (("W&B offline", 133.0),)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jupyter_tracker_bench"


def _base_python() -> str:
    """The interpreter the project's virtualenv was made from (the tools get their own)."""
    base = getattr(sys, "_base_executable", None)
    return base if base and Path(base).exists() else sys.executable


def ensure_venv(venv_dir: Path, requirements: Sequence[str]) -> tuple[Path, str]:
    """A virtualenv with the first of ``requirements`` that installs; (python, requirement).

    An installed one is kept and reused (its marker file names what is in it).
    """
    python = venv_dir / "bin" / "python"
    marker = venv_dir / ".jupyter-tracker-bench-installed"
    if python.exists() and marker.exists():
        return python, marker.read_text().strip()
    errors = []
    for requirement in requirements:
        shutil.rmtree(venv_dir, ignore_errors=True)
        venv_dir.parent.mkdir(parents=True, exist_ok=True)
        print(f"  installing {requirement} into {venv_dir} ...", flush=True)
        began = time.monotonic()
        made = subprocess.run(
            [_base_python(), "-m", "venv", str(venv_dir)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if made.returncode != 0:
            errors.append(f"python -m venv failed: {made.stderr.strip()[-500:]}")
            continue
        try:
            pip = subprocess.run(
                [str(python), "-m", "pip", "install", "--disable-pip-version-check", requirement],
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            errors.append(f"pip install {requirement}: no answer within {INSTALL_TIMEOUT:.0f} s")
            continue
        if pip.returncode == 0:
            marker.write_text(requirement)
            print(f"  installed {requirement} in {time.monotonic() - began:.0f} s", flush=True)
            return python, requirement
        lines = [ln for ln in pip.stderr.splitlines() if "is ignored" not in ln]
        errors.append(f"pip install {requirement} failed: " + " | ".join(lines[-5:]))
    shutil.rmtree(venv_dir, ignore_errors=True)
    raise RuntimeError("; ".join(errors))


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    # No usage reports from the tools (the machine reaches no other host anyway).
    env["DO_NOT_TRACK"] = "true"
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run_child(python: Path, args: list[str], work: Path) -> dict[str, Any]:
    cmd = [str(python), str(Path(__file__).resolve()), *args]
    try:
        done = subprocess.run(
            cmd,
            cwd=work,
            env=_child_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"no result within {TOOL_TIMEOUT:.0f} s") from None
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    tail = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()][-6:]
    raise RuntimeError(f"exit {done.returncode}: " + " | ".join(tail))


def measure_other(tool: OtherTool, points: int, repeat: int, scratch: Path) -> Measurement:
    n = min(points, tool.max_points) if tool.max_points else points
    m = Measurement(tool.label, n)
    began = time.monotonic()
    try:
        python, requirement = ensure_venv(cache_dir() / f"venv-{tool.venv}", tool.requirements)
        m.note = requirement
        work = scratch / f"tool-{tool.key}"
        work.mkdir()
        args = ["--child-tool", tool.key, "--child-work", str(work)]
        result = _run_child(python, [*args, "--points", str(n), "--repeat", str(repeat)], work)
        m.version = str(result.get("version", ""))
        m.bare_s = [float(s) for s in result["bare_s"]]
        m.details.extend(str(d) for d in result.get("details", []))
        for t in result["trials"]:
            m.trials.append(Trial(float(t["loop_s"]), float(t["durable_s"]), n, None))
        # Read back in a fresh process: what another program would find on disk now.
        verify = _run_child(python, [*args, "--child-verify"], work)
        counts = [int(c) for c in verify["counts"]]
        for trial, count in zip(m.trials, counts, strict=False):
            trial.count = count
        if len(counts) != len(m.trials):
            m.details.append(f"read back {len(counts)} runs, expected {len(m.trials)}")
        shutil.rmtree(work, ignore_errors=True)
    except Exception as e:
        m.failure = f"{type(e).__name__}: {e}"
        print(f"  {tool.label}: FAILED: {m.failure}", flush=True)
        return m
    print(
        f"  {tool.label} {m.version}: {m.median_us:.1f} us/call on {n:,} points,"
        f" durable {m.durable_median_s:.2f} s ({time.monotonic() - began:.0f} s)",
        flush=True,
    )
    return m


# --- the child side: runs inside a tool's virtualenv -------------------------------------------


def _dist_version(*names: str) -> str:
    from importlib import metadata

    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            return f"{name} {metadata.version(name)}"
    return "?"


def child_neptune(values: list[float], repeat: int, work: Path, out: dict[str, Any]) -> None:
    import neptune

    out["version"] = _dist_version("neptune", "neptune-client")
    for _ in range(repeat):
        run = neptune.init_run(
            mode="offline",
            capture_stdout=False,
            capture_stderr=False,
            capture_hardware_metrics=False,
            capture_traceback=False,
            source_files=[],
            git_ref=False,
        )
        gc.collect()
        start = time.perf_counter()
        for v in values:
            run["loss"].append(v)
        last_call = time.perf_counter()
        run.stop()
        out["trials"].append(
            {"loop_s": last_call - start, "durable_s": time.perf_counter() - last_call}
        )


def verify_neptune(work: Path) -> list[int]:
    """Points of ``loss`` in each offline run's operation log (one JSON operation a line)."""
    counts = []
    for run_dir in sorted((work / ".neptune").glob("**/data-1.log"), key=os.path.getmtime):
        total = 0
        for log in sorted(run_dir.parent.glob("data-*.log")):
            with log.open(encoding="utf-8") as f:
                for line in f:
                    op = json.loads(line).get("obj", {})
                    if op.get("path") == ["loss"] and "values" in op:
                        total += len(op["values"])
        counts.append(total)
    return counts


def child_aim(values: list[float], repeat: int, work: Path, out: dict[str, Any]) -> None:
    from aim import Run

    out["version"] = _dist_version("aim")
    hashes = []
    for _ in range(repeat):
        run = Run(
            repo=str(work),
            experiment="bench",
            system_tracking_interval=None,
            capture_terminal_logs=False,
            log_system_params=False,
        )
        gc.collect()
        start = time.perf_counter()
        for v in values:
            run.track(v, name="loss")
        last_call = time.perf_counter()
        hashes.append(run.hash)
        run.close()
        out["trials"].append(
            {"loop_s": last_call - start, "durable_s": time.perf_counter() - last_call}
        )
    (work / "hashes.json").write_text(json.dumps(hashes))


def verify_aim(work: Path) -> list[int]:
    from aim import Repo, Run
    from aim.sdk.index_manager import RepoIndexManager

    repo = Repo.from_path(str(work))
    counts = []
    for run_hash in json.loads((work / "hashes.json").read_text()):
        # A new process sees a run through the repo's index, which Aim's UI server updates in
        # the background; update it here instead.
        RepoIndexManager.get_index_manager(repo).index(run_hash)
        repo.container_pool.clear()
        run = Run(run_hash, repo=repo, read_only=True)
        counts.append(sum(len(m.values.values_numpy()) for m in run.metrics() if m.name == METRIC))
    return counts


def _mlflow_uri(tool: str, work: Path) -> str:
    if tool.endswith("-file"):
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3 refuses it otherwise
        return f"file://{work / 'mlruns'}"
    return f"sqlite:///{work / 'mlflow.db'}"


def child_mlflow(
    tool: str, values: list[float], repeat: int, work: Path, out: dict[str, Any]
) -> None:
    import mlflow

    out["version"] = _dist_version("mlflow", "mlflow-skinny")
    mlflow.set_tracking_uri(_mlflow_uri(tool, work))
    synchronous = "-sync" in tool
    run_ids = []
    for _ in range(repeat):
        run = mlflow.start_run()
        run_ids.append(run.info.run_id)
        gc.collect()
        start = time.perf_counter()
        for step, v in enumerate(values):
            mlflow.log_metric("loss", v, step=step, synchronous=synchronous)
        last_call = time.perf_counter()
        if not synchronous:
            mlflow.flush_async_logging()
        durable = time.perf_counter() - last_call
        mlflow.end_run()
        end_run = time.perf_counter() - last_call - durable
        out["details"].append(f"mlflow.end_run() took {end_run:.2f} s more")
        out["trials"].append({"loop_s": last_call - start, "durable_s": durable})
    (work / "run_ids.json").write_text(json.dumps(run_ids))


def verify_mlflow(tool: str, work: Path) -> list[int]:
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(_mlflow_uri(tool, work))
    client = MlflowClient()
    ids = json.loads((work / "run_ids.json").read_text())
    return [len(client.get_metric_history(run_id, METRIC)) for run_id in ids]


def child_main(tool: str, work: Path, points: int, repeat: int, verify: bool) -> int:
    os.chdir(work)
    if verify:
        if tool == "neptune":
            counts = verify_neptune(work)
        elif tool == "aim":
            counts = verify_aim(work)
        else:
            counts = verify_mlflow(tool, work)
        print(RESULT_PREFIX + json.dumps({"counts": counts}), flush=True)
        return 0
    values = make_values(points)
    out: dict[str, Any] = {"trials": [], "bare_s": [], "details": []}
    if tool == "neptune":
        child_neptune(values, repeat, work, out)
    elif tool == "aim":
        child_aim(values, repeat, work, out)
    else:
        child_mlflow(tool, values, repeat, work, out)
    bare = bare_step_value if tool.startswith("mlflow") else bare_value
    out["bare_s"] = [time_call(lambda: bare(None, values)) for _ in range(repeat)]
    print(RESULT_PREFIX + json.dumps(out), flush=True)
    return 0


def print_others(ours: Measurement | None, others: Sequence[Measurement], points: int) -> None:
    print(
        "Other tools, each in its own virtualenv under"
        f" {cache_dir()}, run in a subprocess; capture of\nstdout/stderr and hardware metrics off"
        " where the tool has it. They log fewer points than ours\n(column 'points'; at most"
        f" --others-points = {points:,}), and the time is scaled to microseconds per call."
        "\n'durable' is the time from the last call until the named call returned; 'read back'"
        " counts\nthe points in a new process afterwards. 'reference' is the per-call figure"
        " measured earlier on\nthis machine for 100,000 points."
    )
    print()
    ours_us = ours.median_us if ours else None
    head = (
        f"{'tool':<36} {'version':<22} {'points':>9} {'us/call':>9} {'loop':>6}"
        f" {'theirs/ours':>11}  {'durable s':>9} {'read back':>11} {'reference':>10}"
    )
    print(head)
    print("-" * len(head))
    if ours is not None and ours_us is not None:
        print(
            f"{'ours: ' + ours.label:<36} {'':<22} {ours.points:>9,} {ours_us:>9.3f}"
            f" {ours.bare_us:>6.3f} {1.0:>11.1f}  {ours.durable_median_s:>9.3f}"
            f" {'ok' if ours.verified else 'BAD':>11} {'':>10}"
        )
    by_label = {t.label: t for t in OTHER_TOOLS}
    for m in others:
        tool = by_label[m.label]
        ref = f"{tool.reference_us:g}" if tool.reference_us else "-"
        if m.failure:
            print(f"{m.label:<36} {'FAILED':<22} {'':>9} {'':>9} {'':>6} {'':>11}  {'':>9}")
            print(f"    {m.failure[:600]}")
            continue
        ratio = f"{m.median_us / ours_us:>11.0f}" if ours_us else f"{'-':>11}"
        counts = [t.count for t in m.trials]
        read_back = "ok" if m.verified else "/".join(str(c) for c in counts) + " BAD"
        print(
            f"{m.label:<36} {m.version:<22} {m.points:>9,} {m.median_us:>9.1f}"
            f" {m.bare_us:>6.3f} {ratio}  {m.durable_median_s:>9.3f} {read_back:>11}"
            f" {ref:>10}"
        )
    for label, ref_us in REFERENCE_ONLY:
        ratio = f"{ref_us / ours_us:>11.0f}" if ours_us else f"{'-':>11}"
        print(
            f"{label + ' (not run here)':<36} {'':<22} {'':>9} {'':>9} {'':>6} {ratio}"
            f"  {'':>9} {'':>11} {ref_us:>10g}"
        )
    print()
    for m in others:
        if m.failure:
            continue
        tool = by_label[m.label]
        extra = f"; {'; '.join(dict.fromkeys(m.details))}" if m.details else ""
        per_call = ", ".join(f"{x:.1f}" for x in m.per_call())
        durable = ", ".join(f"{t.durable_s:.3f}" for t in m.trials)
        print(
            f"  {m.label}: installed as '{m.note}'; per call [{per_call}] us; durable after"
            f" {tool.durable_what}: [{durable}] s{extra}"
        )
    print()


def _child_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="One tool's side, inside its virtualenv.")
    parser.add_argument("--child-tool", required=True)
    parser.add_argument("--child-work", required=True)
    parser.add_argument("--child-verify", action="store_true")
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    return parser.parse_args(argv)


if __name__ == "__main__":
    try:
        args = _child_args(None)
        sys.exit(
            child_main(
                args.child_tool, Path(args.child_work), args.points, args.repeat, args.child_verify
            )
        )
    except Exception:
        traceback.print_exc()
        sys.exit(1)

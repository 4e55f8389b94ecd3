"""Speed of notebook checkpoints: ``prepare`` on a 50 MB notebook, and ``diff_notebooks`` against
plain nbdime on two output-heavy 10 MB notebooks; optionally the upload of the 50 MB notebook
over HTTP to a real server.

The notebooks are generated deterministically (fixed seeds) in a temporary directory. Plain
nbdime runs in a subprocess, cut off after ``--nbdime-timeout`` seconds.

Run: python bench/notebook_checkpoints.py [--big-mb 50] [--pair-mb 10] [--repeat 3]
[--nbdime-timeout 120] [--url URL --token TOKEN | --no-http]. See bench/README.md.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbdime
from tracker_server import running

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from jupyter_tracker.notebooks import diff_notebooks, prepare  # noqa: E402

API = "/jupyter-tracker/api/v1"
PROJECT = "sandbox"
TARGET_DIFF_S = 2.0

# --------------------------------------------------------------------------------------------
# Notebooks


def _log_text(rng: random.Random, size: int, epoch: int) -> str:
    lines, total = [], 0
    step = 0
    while total < size:
        line = (
            f"epoch {epoch:3d} step {step:6d} loss {rng.random():.6f} "
            f"acc {rng.random():.4f} lr {rng.random() * 1e-3:.2e}\n"
        )
        lines.append(line)
        total += len(line)
        step += 1
    return "".join(lines)


def _png(rng: random.Random, size: int) -> str:
    """Base64 of ``size`` incompressible bytes (a PNG's compressed body is near-random)."""
    return base64.b64encode(rng.randbytes(size)).decode("ascii") + "\n"


def _html_table(rng: random.Random, rows: int) -> str:
    body = "".join(
        f"<tr><td>{i}</td><td>{rng.random():.6f}</td><td>{rng.random():.6f}</td></tr>\n"
        for i in range(rows)
    )
    head = "<thead><tr><th>i</th><th>a</th><th>b</th></tr></thead>"
    return f'<table class="dataframe">\n{head}\n{body}</table>\n'


def _source(rng: random.Random, i: int) -> str:
    return "".join(
        f"x_{i}_{k} = model.step(batch[{k}], lr={rng.random():.4f})  # line {k}\n"
        for k in range(rng.randint(3, 25))
    )


def _cell(i: int, source: str, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": i + 1,
        "id": f"cell-{i:05d}",
        "metadata": {},
        "outputs": outputs,
        "source": source,
    }


def _stream(text: str) -> dict[str, Any]:
    return {"name": "stdout", "output_type": "stream", "text": text}


def _image(png: str) -> dict[str, Any]:
    return {
        "data": {"image/png": png, "text/plain": "<Figure size 640x480 with 1 Axes>"},
        "metadata": {},
        "output_type": "display_data",
    }


def _notebook(cells: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cells": cells,
        "metadata": {
            "jupyter_tracker": {"notebook_id": "0b7d1c1e-6f0a-4a53-9c3e-2f3b8f1d2a44"},
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def big_notebook(megabytes: float, seed: int = 1) -> dict[str, Any]:
    """A mixed notebook of about ``megabytes`` MB: logs, plots, HTML tables, markdown."""
    rng = random.Random(seed)
    cells: list[dict[str, Any]] = []
    total, limit, i = 0, megabytes * 1e6, 0
    while total < limit:
        outputs = [_stream(_log_text(rng, rng.randint(5_000, 40_000), i))]
        if i % 3 == 0:
            outputs.append(_image(_png(rng, rng.randint(20_000, 60_000))))
        if i % 10 == 0:
            html = _html_table(rng, 300)
            outputs.append(
                {
                    "data": {"text/html": html, "text/plain": "   i  a  b\n..."},
                    "execution_count": i + 1,
                    "metadata": {},
                    "output_type": "execute_result",
                }
            )
        cells.append(
            {
                "cell_type": "markdown",
                "id": f"md-{i:05d}",
                "metadata": {},
                "source": f"## Step {i}\n",
            }
        )
        cells.append(_cell(i, _source(rng, i), outputs))
        total += len(json.dumps(cells[-1]))
        i += 1
    return _notebook(cells)


def _table(rng: random.Random, rows: int) -> dict[str, Any]:
    return {
        "data": {"text/html": _html_table(rng, rows), "text/plain": "<DataFrame>"},
        "execution_count": 1,
        "metadata": {},
        "output_type": "execute_result",
    }


def _retabled(output: dict[str, Any], rng: random.Random) -> None:
    """A third of the table's rows with new numbers (the same table, re-run)."""
    lines = output["data"]["text/html"].splitlines(True)
    for k in rng.sample(range(2, len(lines) - 1), len(lines) // 3):
        lines[k] = f"<tr><td>{k}</td><td>{rng.random():.6f}</td><td>{rng.random():.6f}</td></tr>\n"
    output["data"]["text/html"] = "".join(lines)


def notebook_pair(megabytes: float, seed: int = 2) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two output-heavy notebooks of about ``megabytes`` MB each (200 cells at 10 MB): every
    cell a training log and a plot, every 5th a 7 KB table. The second has re-drawn plots,
    longer logs and re-computed tables in some cells, edited sources, inserted and deleted
    cells."""
    rng = random.Random(seed)
    n = max(10, round(20 * megabytes))
    per_cell = megabytes * 1e6 / n
    base = []
    for i in range(n):
        outputs = [
            _stream(_log_text(rng, int(per_cell * 0.35), i)),
            _image(_png(rng, int(per_cell * 0.6 * 3 / 4))),
        ]
        if i % 5 == 0:
            outputs.append(_table(rng, 130))
        base.append(_cell(i, _source(rng, i), outputs))
    remote = json.loads(json.dumps(base))
    for i in range(0, n, 10):  # a re-drawn plot in every 10th cell
        remote[i]["outputs"][1]["data"]["image/png"] = _png(rng, int(per_cell * 0.6 * 3 / 4))
    for i in range(5, n, 10):  # a longer log in every 10th cell
        remote[i]["outputs"][0]["text"] += _log_text(rng, 2_000, i)
    for i in range(0, n, 10):  # a re-computed table in every 10th cell
        _retabled(remote[i]["outputs"][2], rng)
    for i in range(3, n, 40):  # an edited source
        remote[i]["source"] += "print('edited')\n"
    del remote[n - 7], remote[n // 2]
    for k, at in enumerate((1, n // 3, n - 20)):
        log = [_stream(_log_text(rng, 20_000, k))]
        remote.insert(at, _cell(1000 + k, _source(rng, 1000 + k), log))
    return _notebook(base), _notebook(remote)


def _write(path: Path, nb: dict[str, Any]) -> int:
    data = prepare(json.dumps(nb).encode(), origin="upload").content
    path.write_bytes(data)
    return len(data)


# --------------------------------------------------------------------------------------------
# Timings


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_prepare(body: bytes, repeat: int) -> tuple[float, float]:
    """(prepare, the floor: json.loads + the canonical json.dumps), medians in seconds."""

    def floor() -> bytes:
        nb = json.loads(body)
        return (json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()

    return (
        _median_time(lambda: prepare(body, origin="upload"), repeat),
        _median_time(floor, repeat),
    )


_PLAIN_NBDIME = """
import sys, time, nbformat, nbdime
a = nbformat.read(sys.argv[1], as_version=4)
b = nbformat.read(sys.argv[2], as_version=4)
start = time.perf_counter()
nbdime.diff_notebooks(a, b)
print(time.perf_counter() - start)
"""


def time_plain_nbdime(base: Path, remote: Path, timeout: float) -> float | None:
    """Seconds plain nbdime takes to diff the two files, or None when cut off at ``timeout``."""
    process = subprocess.Popen(
        [sys.executable, "-c", _PLAIN_NBDIME, str(base), str(remote)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return None
    if process.returncode != 0:
        raise RuntimeError(f"plain nbdime failed with exit code {process.returncode}")
    return float(out.strip().splitlines()[-1])


def time_diff(base_path: Path, remote_path: Path, repeat: int) -> tuple[float, int, bool]:
    """(median seconds of diff_notebooks on the stored files, summarised values, round trip ok)"""
    base = json.loads(base_path.read_bytes())
    remote = json.loads(remote_path.read_bytes())
    seconds = _median_time(lambda: diff_notebooks(base, remote), repeat)
    result = diff_notebooks(base, remote)
    joined_remote = diff_notebooks(remote, remote).base  # the remote as nbformat reads it
    ok = nbdime.patch(result.base, result.diff) == joined_remote
    return seconds, len(result.summarised), ok


# --------------------------------------------------------------------------------------------
# HTTP


def upload_over_http(url: str, token: str, body: bytes, path: str) -> tuple[float, int, Any]:
    """POST ``body`` as a checkpoint of ``path``; (seconds, status, reply JSON or text)."""
    query = urllib.parse.urlencode({"project": PROJECT, "path": path, "origin": "upload"})
    request = urllib.request.Request(
        f"{url.rstrip('/')}{API}/notebooks/checkpoints?{query}",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as reply:
            status, data = reply.status, reply.read()
    except urllib.error.HTTPError as error:
        status, data = error.code, error.read()
    seconds = time.perf_counter() - start
    try:
        return seconds, status, json.loads(data)
    except ValueError:
        return seconds, status, data[:300].decode(errors="replace")


def diff_over_http(url: str, token: str, path: str, base: int, remote: int) -> tuple[float, int]:
    """GET the diff of two checkpoints of ``path``; (seconds, reply size in bytes)."""
    query = urllib.parse.urlencode(
        {"project": PROJECT, "path": path, "base": base, "remote": remote}
    )
    request = urllib.request.Request(
        f"{url.rstrip('/')}{API}/notebooks/diff?{query}",
        headers={"Authorization": f"Bearer {token}"},
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as reply:
        data = reply.read()
    seconds = time.perf_counter() - start
    if not isinstance(json.loads(data).get("diff"), list):
        raise RuntimeError("the diff route answered without a diff")
    return seconds, len(data)


# --------------------------------------------------------------------------------------------
# Main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big-mb", type=float, default=50.0, help="size of the big notebook")
    parser.add_argument("--pair-mb", type=float, default=10.0, help="size of each diffed notebook")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--nbdime-timeout", type=float, default=120.0, metavar="SECONDS")
    parser.add_argument("--url", help="an existing tracker (default: start a team server)")
    parser.add_argument("--token", default=os.environ.get("JUPYTER_TRACKER_API_TOKEN"))
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP upload")
    args = parser.parse_args(argv)

    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-notebooks-") as tmp:
        workdir = Path(tmp)
        print(f"generating notebooks in {workdir} ...", flush=True)
        big = big_notebook(args.big_mb)
        body = json.dumps(big).encode()  # what a browser sends: compact JSON, joined strings
        stored = _write(workdir / "big.ipynb", big)
        base, remote = notebook_pair(args.pair_mb)
        base_size = _write(workdir / "base.ipynb", base)
        remote_size = _write(workdir / "remote.ipynb", remote)
        del big, base, remote

        print("timing prepare ...", flush=True)
        seconds, floor = time_prepare(body, args.repeat)
        rows.append(
            (
                f"prepare, {len(body) / 1e6:.1f} MB body ({stored / 1e6:.1f} MB stored)",
                f"{seconds:.2f} s",
            )
        )
        rows.append(("  floor: json.loads + canonical json.dumps", f"{floor:.2f} s"))

        print("timing diff_notebooks ...", flush=True)
        pair = f"{base_size / 1e6:.1f} + {remote_size / 1e6:.1f} MB"
        seconds, summarised, ok = time_diff(
            workdir / "base.ipynb", workdir / "remote.ipynb", args.repeat
        )
        verdict = "PASS" if seconds < TARGET_DIFF_S else "MISS"
        rows.append(
            (f"diff_notebooks, {pair}", f"{seconds:.2f} s  (< {TARGET_DIFF_S:g} s: {verdict})")
        )
        rows.append(
            (
                "  outputs compared by hash / patch round trip",
                f"{summarised} / {'ok' if ok else 'WRONG'}",
            )
        )

        print(f"timing plain nbdime (cut off after {args.nbdime_timeout:g} s) ...", flush=True)
        plain = time_plain_nbdime(
            workdir / "base.ipynb", workdir / "remote.ipynb", args.nbdime_timeout
        )
        shown = (
            f"did not finish in {args.nbdime_timeout:g} s" if plain is None else f"{plain:.2f} s"
        )
        rows.append((f"plain nbdime.diff_notebooks, {pair}", shown))

        if args.no_http:
            rows.append(("upload over HTTP", "skipped (--no-http)"))
        else:
            print("timing the upload over HTTP ...", flush=True)
            rows += _http_rows(args, workdir, body)

    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")
    return 0


def _http_rows(args: argparse.Namespace, workdir: Path, body: bytes) -> list[tuple[str, str]]:
    with contextlib.ExitStack() as stack:
        if args.url:
            if not args.token:
                return [("upload over HTTP", "skipped (--url needs --token)")]
            url, token = args.url, args.token
        else:
            server = stack.enter_context(running(f"sqlite:///{workdir}/t.db", workdir, "cli"))
            url = f"http://127.0.0.1:{server.port}"
            token = server.authorization.removeprefix("Bearer ")
        rows = []
        for attempt in ("first", "identical again"):
            seconds, status, reply = upload_over_http(url, token, body, "bench/big.ipynb")
            if status >= 300:
                return [("upload over HTTP", f"failed: {status} {str(reply)[:120]}")]
            created = reply.get("created") if isinstance(reply, dict) else None
            rows.append(
                (f"upload over HTTP, {attempt} ({status}, created={created})", f"{seconds:.2f} s")
            )
        # The pair as checkpoints 1 and 2 of one notebook, then their diff through the route:
        # blob reads, the diff and the JSON reply holding the whole base notebook.
        numbers = []
        for name in ("base.ipynb", "remote.ipynb"):
            _, status, reply = upload_over_http(
                url, token, (workdir / name).read_bytes(), "bench/pair.ipynb"
            )
            if status >= 300 or not isinstance(reply, dict):
                return [*rows, ("diff over HTTP", f"failed: {status} {str(reply)[:120]}")]
            numbers.append(int(reply["number"]))
        times = []
        for _ in range(3):
            seconds, size = diff_over_http(url, token, "bench/pair.ipynb", *numbers)
            times.append(seconds)
        rows.append(
            (
                f"diff over HTTP, checkpoints of the pair (reply {size / 1e6:.1f} MB)",
                f"{statistics.median(times):.2f} s  (median of 3)",
            )
        )
        return rows


if __name__ == "__main__":
    sys.exit(main())

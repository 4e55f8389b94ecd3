"""How runs begin and end on the server's side: creation made idempotent by a client key, the
heartbeat reaper, and the end of the runs of a Jupyter kernel that is shut down or restarted."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jupyter_server.serverapp import ServerApp
from tornado.httpclient import HTTPResponse
from traitlets.config import Config

import jupyter_tracker.server
from jupyter_tracker.server.app import TrackerExtension
from jupyter_tracker.store.blobs import LocalBlobStore
from jupyter_tracker.store.entities import Principal, User
from jupyter_tracker.store.inputs import Batch, NewRun
from jupyter_tracker.store.sql import SqlTrackerStore

API = ("jupyter-tracker", "api", "v1")
LOCAL = Principal(User(0, "tester"), projects=None, via_token=False)


# ---------------------------------------------------------------------------------------------
# helpers


@pytest.fixture
def tracker_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Extra ``TrackerExtension`` settings; parametrize it indirectly to change them."""
    settings: dict[str, Any] = getattr(request, "param", {})
    return settings


@pytest.fixture
def jp_server_config(jp_server_config: Config, tracker_config: dict[str, Any]) -> Config:
    config = Config(jp_server_config)
    config.TrackerExtension.update(tracker_config)
    return config


def extension(serverapp: ServerApp) -> TrackerExtension:
    (app,) = serverapp.extension_manager.extension_apps["jupyter_tracker"]
    assert isinstance(app, TrackerExtension)
    return app


def store_of(serverapp: ServerApp) -> SqlTrackerStore:
    store = extension(serverapp).service.store
    assert isinstance(store, SqlTrackerStore)
    return store


async def call(
    jp_fetch: Any, method: str, *route: str, body: Any = None, **params: str
) -> HTTPResponse:
    response: HTTPResponse = await jp_fetch(
        *API,
        *route,
        method=method,
        body=None if method == "GET" else json.dumps(body if body is not None else {}),
        params=params,
        raise_error=False,
    )
    return response


async def post_run(jp_fetch: Any, **fields: Any) -> tuple[int, dict[str, Any]]:
    response = await call(jp_fetch, "POST", "runs", body=fields)
    reply: dict[str, Any] = json.loads(response.body)
    return response.code, reply


async def new_run(jp_fetch: Any, **fields: Any) -> dict[str, Any]:
    code, run = await post_run(jp_fetch, **fields)
    assert code == 201, run
    return run


async def get_run(jp_fetch: Any, run_id: str) -> dict[str, Any]:
    response = await call(jp_fetch, "GET", "runs", run_id)
    assert response.code == 200, response.body
    run: dict[str, Any] = json.loads(response.body)
    return run


async def batch(jp_fetch: Any, run_id: str, **body: Any) -> None:
    response = await call(jp_fetch, "POST", "runs", run_id, "batches", body=body)
    assert response.code == 200, response.body


async def runs_of(jp_fetch: Any, project: str = "sandbox") -> list[dict[str, Any]]:
    response = await call(jp_fetch, "GET", "runs", project=project, limit="1000")
    assert response.code == 200, response.body
    runs: list[dict[str, Any]] = json.loads(response.body)["runs"]
    return runs


def key() -> str:
    return uuid.uuid4().hex


# ---------------------------------------------------------------------------------------------
# idempotent creation


async def test_a_creation_repeated_with_its_client_key_returns_the_same_run(
    jp_fetch: Any,
) -> None:
    # Given a run created with a client key and a kernel id
    client_key = key()
    first = await call(
        jp_fetch,
        "POST",
        "runs",
        body={"name": "train", "client_key": client_key, "kernel_id": "k-1", "tags": ["a"]},
    )
    assert first.code == 201
    run = json.loads(first.body)
    assert (run["client_key"], run["kernel_id"]) == (client_key, "k-1")
    # When the same creation is sent again, even with other fields
    again = await call(
        jp_fetch, "POST", "runs", body={"name": "other", "client_key": client_key, "tags": ["b"]}
    )
    # Then the answer is 200 with the very same run, unchanged, and no second run exists
    assert again.code == 200
    assert json.loads(again.body) == run
    assert again.headers["Location"] == first.headers["Location"]
    assert await get_run(jp_fetch, run["id"]) == run
    assert [r["id"] for r in await runs_of(jp_fetch)] == [run["id"]]


async def test_runs_without_a_client_key_are_never_merged(jp_fetch: Any) -> None:
    # Given two creations with no client key (one says so with null)
    one = await new_run(jp_fetch, name="same")
    two = await new_run(jp_fetch, name="same", client_key=None, kernel_id=None)
    # Then they are two runs, with neither key nor kernel
    assert one["id"] != two["id"]
    assert (two["client_key"], two["kernel_id"]) == (None, None)
    assert len(await runs_of(jp_fetch)) == 2


async def test_concurrent_creations_with_one_key_make_one_run(jp_fetch: Any) -> None:
    # Given eight identical creations with one client key, sent at once
    client_key = key()
    replies = await asyncio.gather(
        *(post_run(jp_fetch, name="racer", client_key=client_key) for _ in range(8))
    )
    # Then exactly one of them created the run, and every one answers with it
    codes = sorted(code for code, _ in replies)
    assert codes == [200] * 7 + [201]
    assert len({run["id"] for _, run in replies}) == 1
    (run,) = await runs_of(jp_fetch)
    assert run["client_key"] == client_key
    # And no run number was spent on the losers
    assert (await new_run(jp_fetch))["number"] == run["number"] + 1


async def test_different_projects_may_use_the_same_key(jp_fetch: Any) -> None:
    # Given a second project
    response = await call(jp_fetch, "POST", "projects", body={"name": "team/vision"})
    assert response.code == 201
    # When both projects get a run with the same client key
    client_key = key()
    here = await new_run(jp_fetch, client_key=client_key)
    there = await new_run(jp_fetch, project="team/vision", client_key=client_key)
    # Then they are two runs, and each key names its own one afterwards
    assert here["id"] != there["id"]
    assert (await post_run(jp_fetch, client_key=client_key))[1]["id"] == here["id"]
    again = await post_run(jp_fetch, project="team/vision", client_key=client_key)
    assert again == (200, there)


BAD_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"client_key": "short"}, "client_key"),
    ({"client_key": "x" * 65}, "client_key"),
    ({"client_key": "has space"}, "client_key"),
    ({"client_key": "dots.are.out"}, "client_key"),
    ({"client_key": "abcdefgh\n"}, "client_key"),
    ({"client_key": "ümlautsaa"}, "client_key"),
    ({"client_key": ""}, "client_key"),
    ({"client_key": 12345678}, "client_key"),
    ({"client_key": ["abcdefgh"]}, "client_key"),
    ({"kernel_id": ""}, "kernel_id"),
    ({"kernel_id": "k" * 65}, "kernel_id"),
    ({"kernel_id": "no_underscores"}, "kernel_id"),
    ({"kernel_id": "a/b"}, "kernel_id"),
    ({"kernel_id": "k-1\n"}, "kernel_id"),
    ({"kernel_id": 7}, "kernel_id"),
    ({"kernel_id": "ok", "client_key": "bad key"}, "client_key"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_FIELDS)
async def test_a_bad_client_key_or_kernel_id_is_refused(
    jp_fetch: Any, fields: dict[str, Any], field: str
) -> None:
    # Given a project with one run
    await new_run(jp_fetch, client_key=key())
    before = await runs_of(jp_fetch)
    # When a run is created with a malformed key or kernel id
    response = await call(jp_fetch, "POST", "runs", body={"name": "x", **fields})
    # Then it is refused with 400 naming the field, and nothing is stored
    assert response.code == 400
    error = json.loads(response.body)
    assert (error["reason"], error["field"]) == ("invalid", field)
    assert field in error["message"]
    assert await runs_of(jp_fetch) == before


async def test_the_longest_key_and_kernel_id_are_accepted(jp_fetch: Any) -> None:
    fields = {"client_key": "A_b-9" + "z" * 59, "kernel_id": "0-" + "f" * 62}
    run = await new_run(jp_fetch, **fields)
    assert (run["client_key"], run["kernel_id"]) == (fields["client_key"], fields["kernel_id"])
    assert (await post_run(jp_fetch, **fields))[0] == 200


async def test_both_answers_match_the_openapi_document(jp_fetch: Any) -> None:
    # Given the OpenAPI document's schemas of a new run and of a run
    document = json.loads(
        (Path(jupyter_tracker.server.__file__).parent / "openapi.json").read_text()
    )
    operation = document["paths"]["/runs"]["post"]

    def check(schema: dict[str, Any], instance: Any) -> None:
        root = {**schema, "components": document["components"]}
        validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = [e.message for e in validator.iter_errors(instance)]
        assert not errors, errors

    body = {"name": "documented", "client_key": key(), "kernel_id": "5f8a3c2e-1b4d"}
    check(operation["requestBody"]["content"]["application/json"]["schema"], body)
    # When a run is created and then created again
    for status in (201, 200):
        code, run = await post_run(jp_fetch, **body)
        # Then each answer has the documented status and body
        assert code == status
        documented = operation["responses"][str(status)]
        check(documented["content"]["application/json"]["schema"], run)
        assert "Location" in documented["headers"]


def test_a_creation_that_loses_the_race_returns_the_winners_run(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a store where another creation with the same key commits between this creation's
    # look-up (which so finds nothing) and its insert
    from jupyter_tracker.store.sql import runs as sql_runs

    store = SqlTrackerStore(db_url, LocalBlobStore(tmp_path / "blobs"))
    try:
        client_key = key()
        winner, created = store.create_run(LOCAL, NewRun("sandbox", "a", client_key=client_key))
        assert created
        real_lookup = sql_runs.find_by_client_key
        lookups: list[str] = []

        def blind_first_lookup(*args: Any) -> Any:
            lookups.append("lookup")
            return None if len(lookups) == 1 else real_lookup(*args)

        monkeypatch.setattr(sql_runs, "find_by_client_key", blind_first_lookup)
        # When this creation inserts its run and breaks the unique index
        run, created = store.create_run(LOCAL, NewRun("sandbox", "b", client_key=client_key))
        # Then it answers with the winner's run, and nothing else was stored
        assert (run, created) == (winner, False)
        assert len(lookups) == 2
        assert store.get_project(LOCAL, "sandbox").run_count == 1
    finally:
        store.close()


# ---------------------------------------------------------------------------------------------
# the heartbeat reaper


async def test_abort_stale_runs_aborts_only_running_runs_with_an_old_heartbeat(
    jp_serverapp: ServerApp, jp_fetch: Any
) -> None:
    # Given runs made before a cut-off: one silent, one that sends a heartbeat after it, one
    # that succeeded and one that failed; and one made after the cut-off
    silent = await new_run(jp_fetch, name="silent")
    beating = await new_run(jp_fetch, name="beating")
    done = await new_run(jp_fetch, name="done")
    broken = await new_run(jp_fetch, name="broken")
    await batch(jp_fetch, done["id"], state="succeeded")
    await batch(jp_fetch, broken["id"], state="failed", exception="boom")
    await asyncio.sleep(0.01)
    cutoff = dt.datetime.now(dt.timezone.utc)
    await asyncio.sleep(0.01)
    await batch(jp_fetch, beating["id"], heartbeat=True)
    fresh = await new_run(jp_fetch, name="fresh")
    finished = {r: await get_run(jp_fetch, r) for r in (done["id"], broken["id"])}
    store = store_of(jp_serverapp)
    # When the store aborts runs whose heartbeat is older than the cut-off (given in another
    # time zone, which must not matter)
    elsewhere = cutoff.astimezone(dt.timezone(dt.timedelta(hours=-7)))
    aborted = store.abort_stale_runs(elsewhere)
    # Then only the silent running run is aborted, with its end time set
    assert aborted == [silent["id"]]
    ended = await get_run(jp_fetch, silent["id"])
    assert ended["state"] == "aborted"
    assert dt.datetime.fromisoformat(ended["finished_at"]) >= cutoff
    assert ended["heartbeat_at"] == silent["heartbeat_at"]
    # And the others are as they were
    assert (await get_run(jp_fetch, beating["id"]))["state"] == "running"
    assert (await get_run(jp_fetch, fresh["id"]))["state"] == "running"
    for run_id, run in finished.items():
        assert await get_run(jp_fetch, run_id) == run
    # And a second sweep finds nothing more; a late heartbeat does not revive the run
    assert store.abort_stale_runs(elsewhere) == []
    await batch(jp_fetch, silent["id"], heartbeat=True)
    assert (await get_run(jp_fetch, silent["id"]))["state"] == "aborted"


async def test_abort_stale_runs_covers_every_project(
    jp_serverapp: ServerApp, jp_fetch: Any
) -> None:
    response = await call(jp_fetch, "POST", "projects", body={"name": "other"})
    assert response.code == 201
    here = await new_run(jp_fetch)
    there = await new_run(jp_fetch, project="other")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    assert store_of(jp_serverapp).abort_stale_runs(later) == sorted([here["id"], there["id"]])


@pytest.mark.parametrize(
    "tracker_config",
    [{"heartbeat_timeout": 1.0, "heartbeat_check_interval": 0.1}],
    indirect=True,
)
async def test_the_server_aborts_runs_whose_heartbeat_stopped(jp_fetch: Any) -> None:
    # Given a server that allows one second without a heartbeat, checked ten times a second,
    # and two runs: one that keeps sending heartbeats and one that never does
    alive = await new_run(jp_fetch, name="alive")
    silent = await new_run(jp_fetch, name="silent")
    # When time passes
    deadline = time.monotonic() + 30
    while (await get_run(jp_fetch, silent["id"]))["state"] == "running":
        assert time.monotonic() < deadline, "the silent run was never aborted"
        await batch(jp_fetch, alive["id"], heartbeat=True)
        await asyncio.sleep(0.2)
    # Then the silent run was aborted by the server on its own, and the other one lives on
    ended = await get_run(jp_fetch, silent["id"])
    assert ended["state"] == "aborted" and ended["finished_at"] is not None
    assert (await get_run(jp_fetch, alive["id"]))["state"] == "running"


@pytest.mark.parametrize("tracker_config", [{"heartbeat_timeout": 0}], indirect=True)
async def test_a_timeout_of_zero_turns_the_reaper_off(jp_serverapp: ServerApp) -> None:
    reaper = extension(jp_serverapp).reaper
    assert reaper is not None and not reaper.enabled


async def test_the_reaper_defaults_to_two_minutes_checked_every_half_minute(
    jp_serverapp: ServerApp,
) -> None:
    reaper = extension(jp_serverapp).reaper
    assert reaper is not None and reaper.enabled
    assert (reaper.timeout, reaper.interval) == (120.0, 30.0)


@pytest.mark.parametrize("interval", [0, -1])
def test_a_check_interval_must_be_positive(interval: float) -> None:
    from traitlets import TraitError

    with pytest.raises(TraitError, match="heartbeat_check_interval"):
        TrackerExtension(heartbeat_check_interval=interval)


# ---------------------------------------------------------------------------------------------
# kernels


async def start_kernel(serverapp: ServerApp) -> str:
    km: Any = serverapp.kernel_manager
    kernel_id: str = await km.start_kernel()
    return kernel_id


async def settle(serverapp: ServerApp) -> None:
    """Wait for the event listeners that the last kernel action set off."""
    assert serverapp.event_logger is not None
    await serverapp.event_logger.gather_listeners()


async def test_shutting_a_kernel_down_aborts_its_running_runs(
    jp_serverapp: ServerApp, jp_fetch: Any
) -> None:
    # Given two real kernels, a running run in each, a finished run of the first kernel and a
    # run of no kernel
    km: Any = jp_serverapp.kernel_manager
    first, second = await start_kernel(jp_serverapp), await start_kernel(jp_serverapp)
    try:
        mine = await new_run(jp_fetch, kernel_id=first)
        done = await new_run(jp_fetch, kernel_id=first)
        await batch(jp_fetch, done["id"], state="succeeded")
        done = await get_run(jp_fetch, done["id"])
        theirs = await new_run(jp_fetch, kernel_id=second)
        loose = await new_run(jp_fetch)
        # When the first kernel is shut down
        await km.shutdown_kernel(first, now=True)
        await settle(jp_serverapp)
        # Then its running run is aborted at once, and nothing else changed
        ended = await get_run(jp_fetch, mine["id"])
        assert ended["state"] == "aborted" and ended["finished_at"] is not None
        assert await get_run(jp_fetch, done["id"]) == done
        assert (await get_run(jp_fetch, theirs["id"]))["state"] == "running"
        assert (await get_run(jp_fetch, loose["id"]))["state"] == "running"
        # And when the second one is shut down through the REST API, its run ends too
        response = await jp_fetch("api", "kernels", second, method="DELETE")
        assert response.code == 204
        await settle(jp_serverapp)
        assert (await get_run(jp_fetch, theirs["id"]))["state"] == "aborted"
        assert (await get_run(jp_fetch, loose["id"]))["state"] == "running"
    finally:
        for kernel_id in km.list_kernel_ids():
            await km.shutdown_kernel(kernel_id, now=True)


async def test_restarting_a_kernel_aborts_the_runs_it_had(
    jp_serverapp: ServerApp, jp_fetch: Any
) -> None:
    # Given a real kernel with a running run, and another kernel with one
    km: Any = jp_serverapp.kernel_manager
    kernel, other = await start_kernel(jp_serverapp), await start_kernel(jp_serverapp)
    try:
        before = await new_run(jp_fetch, kernel_id=kernel)
        bystander = await new_run(jp_fetch, kernel_id=other)
        # When the kernel is restarted, as JupyterLab does it
        response = await jp_fetch("api", "kernels", kernel, "restart", method="POST", body="")
        assert response.code == 200
        await settle(jp_serverapp)
        # Then the run of its old process is aborted; the other kernel's run goes on
        assert (await get_run(jp_fetch, before["id"]))["state"] == "aborted"
        assert (await get_run(jp_fetch, bystander["id"]))["state"] == "running"
        # And a run of the restarted kernel lives until the next restart
        after = await new_run(jp_fetch, kernel_id=kernel)
        await asyncio.sleep(0.2)
        assert (await get_run(jp_fetch, after["id"]))["state"] == "running"
        restarted = await km.restart_kernel(kernel, now=True)
        await restarted
        await settle(jp_serverapp)
        assert (await get_run(jp_fetch, after["id"]))["state"] == "aborted"
        assert (await get_run(jp_fetch, bystander["id"]))["state"] == "running"
    finally:
        for kernel_id in km.list_kernel_ids():
            await km.shutdown_kernel(kernel_id, now=True)


async def test_interrupting_a_kernel_leaves_its_runs_alone(
    jp_serverapp: ServerApp, jp_fetch: Any
) -> None:
    km: Any = jp_serverapp.kernel_manager
    kernel = await start_kernel(jp_serverapp)
    try:
        run = await new_run(jp_fetch, kernel_id=kernel)
        response = await jp_fetch("api", "kernels", kernel, "interrupt", method="POST", body="")
        assert response.code == 204
        await settle(jp_serverapp)
        assert (await get_run(jp_fetch, run["id"]))["state"] == "running"
    finally:
        await km.shutdown_kernel(kernel, now=True)


async def test_stopping_the_server_aborts_the_runs_of_its_kernels(
    jp_serverapp: ServerApp, jp_fetch: Any, db_url: str, tmp_path: Path
) -> None:
    # Given a running run in a kernel of the server, and one of no kernel
    kernel = await start_kernel(jp_serverapp)
    run = await new_run(jp_fetch, kernel_id=kernel)
    loose = await new_run(jp_fetch)
    # When the server stops as it does on Ctrl-C: extensions first, then every kernel
    await jp_serverapp.cleanup_extensions()
    await jp_serverapp.cleanup_kernels()
    assert jp_serverapp.kernel_manager.list_kernel_ids() == []
    # Then the kernel's run was aborted before the store closed; the other one runs on
    store = SqlTrackerStore(db_url, LocalBlobStore(tmp_path / "check-blobs"), migrate=False)
    try:
        assert store.get_run(LOCAL, run["id"]).state == "aborted"
        assert store.get_run(LOCAL, loose["id"]).state == "running"
    finally:
        store.close()


def test_abort_kernel_runs_spares_runs_made_after_the_cut_off(db_url: str, tmp_path: Path) -> None:
    # Given two running runs of one kernel, made either side of a moment, and one of another
    store = SqlTrackerStore(db_url, LocalBlobStore(tmp_path / "blobs"))
    try:
        old, _ = store.create_run(LOCAL, NewRun("sandbox", "a", kernel_id="k-1"))
        time.sleep(0.01)
        moment = dt.datetime.now(dt.timezone.utc)
        time.sleep(0.01)
        new, _ = store.create_run(LOCAL, NewRun("sandbox", "a", kernel_id="k-1"))
        other, _ = store.create_run(LOCAL, NewRun("sandbox", "a", kernel_id="k-2"))
        # When the runs of the kernel made before that moment are aborted
        # Then only the old one is; with no moment, the rest of the kernel's runs are
        assert store.abort_kernel_runs("k-1", created_before=moment) == [old.id]
        assert store.abort_kernel_runs("k-1") == [new.id]
        assert store.abort_kernel_runs("k-1") == []
        assert store.get_run(LOCAL, other.id).state == "running"
        # And a finished run of a kernel stays as it finished
        done, _ = store.create_run(LOCAL, NewRun("sandbox", "a", kernel_id="k-2"))
        store.apply_batch(LOCAL, done.id, Batch(state="succeeded"))
        assert store.abort_kernel_runs("k-2") == [other.id]
        assert store.get_run(LOCAL, done.id).state == "succeeded"
    finally:
        store.close()


# ---------------------------------------------------------------------------------------------
# the standalone server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def tracker_cli(db_url: str, blob_dir: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "jupyter_tracker.cli",
        "--db-url",
        db_url,
        "--blob-dir",
        str(blob_dir),
        *args,
    ]


def http(url: str, token: str, method: str = "GET", body: Any = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        reply: dict[str, Any] = json.loads(response.read())
        return reply


@pytest.fixture
def standalone(db_url: str, blob_dir: Path) -> Iterator[tuple[str, str]]:
    """``jupyter tracker serve`` with a one-second heartbeat timeout: its API URL and a token."""
    made = subprocess.run(
        tracker_cli(db_url, blob_dir, "token", "create", "--all-projects"),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    port = free_port()
    args = ["serve", "--port", str(port), "--heartbeat-timeout", "1"]
    proc = subprocess.Popen(
        tracker_cli(db_url, blob_dir, *args, "--heartbeat-check-interval", "0.1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else "exited"
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/jupyter-tracker/api/v1", made.stdout.strip()
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "no heartbeat for 1 s" in output, output


def test_the_standalone_server_aborts_runs_whose_heartbeat_stopped(
    standalone: tuple[str, str],
) -> None:
    # Given a standalone server with a one-second heartbeat timeout, and a run that never beats
    url, token = standalone
    run = http(f"{url}/runs", token, "POST", {"name": "silent"})
    # When a few seconds pass, then it is aborted
    deadline = time.monotonic() + 30
    while http(f"{url}/runs/{run['id']}", token)["state"] == "running":
        assert time.monotonic() < deadline, "the run was never aborted"
        time.sleep(0.2)
    assert http(f"{url}/runs/{run['id']}", token)["state"] == "aborted"


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--heartbeat-timeout", "-1"),
        ("--heartbeat-timeout", "soon"),
        ("--heartbeat-timeout", "nan"),
        ("--heartbeat-check-interval", "0"),
    ],
)
def test_serve_refuses_a_bad_heartbeat_setting(
    db_url: str, blob_dir: Path, flag: str, value: str
) -> None:
    result = subprocess.run(
        tracker_cli(db_url, blob_dir, "serve", "--port", str(free_port()), flag, value),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert flag in result.stderr


def test_serve_documents_the_heartbeat_timeout(db_url: str, blob_dir: Path) -> None:
    result = subprocess.run(
        tracker_cli(db_url, blob_dir, "serve", "--help"),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "--heartbeat-timeout SECONDS" in result.stdout
    assert "--heartbeat-check-interval SECONDS" in result.stdout

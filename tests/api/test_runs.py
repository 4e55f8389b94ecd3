"""Runs: creation, reading, updates, and the run list with its filters, sorts and pages."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, assert_error, assert_ok


async def test_create_and_read_a_run(api: Api) -> None:
    # Given a run description with every optional field
    body = {
        "name": "baseline",
        "description": "first try",
        "params": {"lr": 0.01, "layers": 3, "opt": "adam", "nesterov": True, "seed": None},
        "properties": {"host": "gpu-1"},
        "tags": ["b", "a", "b"],
        "details": {"git": {"commit": "abc"}},
        "notebook_path": "work/train.ipynb",
    }
    # When it is created
    reply = await api.post("/runs", body)
    # Then it is answered with its id, its location and everything it was given
    run = assert_ok(reply, 201)
    assert run["id"] == "SAN-1"
    assert reply.headers["Location"].endswith("/jupyter-tracker/api/v1/runs/SAN-1")
    assert (run["project"], run["number"], run["state"]) == ("sandbox", 1, "running")
    assert run["params"] == body["params"]
    assert (run["properties"], run["tags"]) == (body["properties"], ["a", "b"])
    assert (run["details"], run["notebook_path"]) == (body["details"], "work/train.ipynb")
    assert run["owner"] == assert_ok(await api.get("/me"))["user"]
    assert run["finished_at"] is None and run["exception"] is None
    # And reading it back gives the same run; numbers go on counting
    assert await api.run("SAN-1") == run
    assert (await api.create_run())["id"] == "SAN-2"


BAD_RUNS: list[tuple[Any, int, str]] = [
    ([], 400, "body"),
    ({"bogus": 1}, 400, "body.bogus"),
    ({"project": "not a name!"}, 400, "project"),
    ({"project": "missing"}, 404, "project"),
    ({"name": 5}, 400, "name"),
    ({"name": "x" * 256}, 400, "name"),
    ({"name": "tab\there"}, 400, "name"),
    ({"description": ["x"]}, 400, "description"),
    ({"params": "lr=1"}, 400, "params"),
    ({"params": {"lr": [0.1]}}, 400, "params.lr"),
    ({"params": {"lr": {"a": 1}}}, 400, "params.lr"),
    ({"properties": {"host": 1}}, 400, "properties.host"),
    ({"tags": "a"}, 400, "tags"),
    ({"tags": [""]}, 400, "tags"),
    ({"details": ["x"]}, 400, "details"),
    ({"notebook_path": 3}, 400, "notebook_path"),
    ({"description": "nul\x00"}, 400, "description"),
    ({"params": {"opt": "nul\x00"}}, 400, "params.opt"),
    ({"properties": {"k": "nul\x00"}}, 400, "properties.k"),
    ({"details": {"git": ["ok", "nul\x00"]}}, 400, "details.git[1]"),
    ({"notebook_path": "nul\x00"}, 400, "notebook_path"),
]


@pytest.mark.parametrize(("body", "status", "field"), BAD_RUNS, ids=[f for *_, f in BAD_RUNS])
async def test_a_bad_run_is_refused_and_not_created(
    api: Api, body: Any, status: int, field: str
) -> None:
    # Given one run already
    await api.create_run(name="existing")
    # When a bad run is posted
    reply = await api.post("/runs", body)
    # Then the error names the field at fault
    assert_error(reply, status, field=field)
    # And no run was created, nor any run number used up
    assert await api.run_count() == 1
    assert (await api.create_run())["id"] == "SAN-2"


async def test_a_body_that_is_not_json_is_refused(api: Api) -> None:
    # When the body is not JSON, Then it is refused naming the body, and nothing is created
    reply = await api.request("POST", "/runs", body=b"{not json")
    assert_error(reply, 400, field="body", says="json")
    assert await api.run_count() == 0


@pytest.mark.parametrize(
    ("run_id", "status"),
    [
        ("SAN-99", 404),
        ("NOPE-1", 404),
        ("SAN-2147483648", 404),
        ("SAN-9999999999", 404),
        ("san-1", 400),
        ("SAN-0", 400),
    ],
)
async def test_reading_a_run_that_does_not_exist(api: Api, run_id: str, status: int) -> None:
    # Given one run, SAN-1
    await api.create_run()
    # When another id is read, Then it is not found, or refused when it is no run id at all
    assert_error(await api.get(f"/runs/{run_id}"), status, field="run_id")


async def test_patch_updates_a_run(api: Api, run_id: str) -> None:
    # Given a run with a property and a tag
    await api.log(run_id, properties={"set": {"a": "1", "b": "2"}}, tags={"add": ["x", "y"]})
    # When it is patched
    update = {
        "name": "renamed",
        "description": "better",
        "properties": {"set": {"a": "10"}, "remove": ["b"]},
        "tags": {"add": ["z"], "remove": ["x"]},
        "state": "failed",
        "exception": "Traceback: boom",
    }
    run = assert_ok(await api.patch(f"/runs/{run_id}", update))
    # Then the run shows every change, and is finished
    assert (run["name"], run["description"]) == ("renamed", "better")
    assert (run["properties"], run["tags"]) == ({"a": "10"}, ["y", "z"])
    assert (run["state"], run["exception"]) == ("failed", "Traceback: boom")
    assert run["finished_at"] is not None
    assert await api.run(run_id) == run


BAD_PATCHES: list[tuple[Any, int, str]] = [
    ([], 400, "body"),
    ({"params": {"lr": 1}}, 400, "body.params"),
    ({"metrics": []}, 400, "body.metrics"),
    ({"state": "done"}, 400, "state"),
    ({"name": 1}, 400, "name"),
    ({"tags": {"add": "x"}}, 400, "tags.add"),
    ({"tags": {"put": ["x"]}}, 400, "tags.put"),
    ({"properties": {"set": {"a": "nul\x00"}}}, 400, "properties.set.a"),
    ({"state": "failed", "exception": "nul\x00"}, 400, "exception"),
    ({"properties": {"set": {"a": 2}}}, 400, "properties.set.a"),
    ({"state": "succeeded", "exception": "boom"}, 400, "exception"),
    ({"name": "kept?", "tags": {"add": ["ok", ""]}}, 400, "tags"),
]


@pytest.mark.parametrize(
    ("body", "status", "field"), BAD_PATCHES, ids=[str(b) for b, *_ in BAD_PATCHES]
)
async def test_a_bad_patch_changes_nothing(
    api: Api, run_id: str, body: Any, status: int, field: str
) -> None:
    # Given a run
    before = await api.run(run_id)
    # When a bad update is sent
    reply = await api.patch(f"/runs/{run_id}", body)
    # Then the error names the field, and the run is as it was
    assert_error(reply, status, field=field)
    assert await api.run(run_id) == before


async def test_a_finished_run_cannot_run_again(api: Api, run_id: str) -> None:
    # Given a run that succeeded
    done = assert_ok(await api.patch(f"/runs/{run_id}", {"state": "succeeded"}))
    # When it is set running again with a new name
    reply = await api.patch(f"/runs/{run_id}", {"state": "running", "name": "again"})
    # Then it is a conflict, and neither change is stored
    assert_error(reply, 409, field="state")
    assert await api.run(run_id) == done
    assert_error(await api.patch("/runs/SAN-9", {"name": "x"}), 404, field="run_id")


# --- The run list -----------------------------------------------------------------------------


async def four_runs(api: Api, tracker_store: Any) -> dict[str, str]:
    """r1..r3 of the local user with params and a 'loss' whose last/min/max order differently;
    r4 of another user, with neither."""
    specs = [
        ("alpha-one", {"lr": 0.1, "opt": "adam", "flag": True}, ["a", "b"], [10, 1, 4], None),
        ("beta_2", {"lr": 0.01, "opt": "sgd", "flag": False}, ["a"], [3, 2], "succeeded"),
        ("alpha-two", {"lr": 0.001, "opt": "adam"}, [], [0.5, 6], "failed"),
    ]
    ids = {}
    for i, (name, params, tags, loss, state) in enumerate(specs, start=1):
        rid = (await api.create_run(name=name, params=params, tags=tags))["id"]
        await api.log(rid, metrics=[{"name": "loss", "values": loss}])
        if state:
            assert_ok(await api.patch(f"/runs/{rid}", {"state": state}))
        ids[f"r{i}"] = rid
    _, alice = tracker_store.create_token("alice", "alice's laptop", None)
    ids["r4"] = (await api.create_run(name="gamma", auth=alice))["id"]
    return ids


async def listed(api: Api, ids: dict[str, str], *params: tuple[str, Any]) -> list[str]:
    """The names (r1..r4) of the runs listed for these query parameters, in order."""
    names = {v: k for k, v in ids.items()}
    page = assert_ok(await api.get("/runs", params=list(params)))
    return [names[r["id"]] for r in page["runs"]]


async def test_run_list_filters(api: Api, tracker_store: Any) -> None:
    # Given four runs that differ in state, tags, owner, name, params and metrics
    ids = await four_runs(api, tracker_store)
    me = assert_ok(await api.get("/me"))["user"]
    cases: list[tuple[list[tuple[str, Any]], set[str]]] = [
        ([], {"r1", "r2", "r3", "r4"}),
        ([("state", "running")], {"r1", "r4"}),
        ([("state", "succeeded,failed")], {"r2", "r3"}),
        ([("tag", "a")], {"r1", "r2"}),
        ([("tag", "a"), ("tag", "b")], {"r1"}),
        ([("owner", "alice")], {"r4"}),
        ([("owner", me)], {"r1", "r2", "r3"}),
        ([("name", "alpha")], {"r1", "r3"}),
        ([("name", "ALPHA")], {"r1", "r3"}),
        ([("name", "a-t")], {"r3"}),
        ([("name", "_")], {"r2"}),
        ([("name", "%")], set()),
        ([("filter", "param.lr>=0.01")], {"r1", "r2"}),
        ([("filter", "param.lr<0.01")], {"r3"}),
        ([("filter", "param.opt=adam")], {"r1", "r3"}),
        ([("filter", "param.opt!=adam")], {"r2"}),
        ([("filter", "param.flag=true")], {"r1"}),
        ([("filter", "metric.loss.last<5")], {"r1", "r2"}),
        ([("filter", "metric.loss<5")], {"r1", "r2"}),
        ([("filter", "metric.loss.min<1.5")], {"r1", "r3"}),
        ([("filter", "metric.loss.max<=6")], {"r2", "r3"}),
        ([("filter", "metric.loss.first>5")], {"r1"}),
        ([("filter", "metric.loss.count=3")], {"r1"}),
        ([("filter", "param.opt=adam"), ("filter", "metric.loss.last<5")], {"r1"}),
    ]
    for params, expected in cases:
        # When the list is filtered, Then exactly the matching runs are listed, and counted
        assert set(await listed(api, ids, *params)) == expected, params
        page = assert_ok(await api.get("/runs", params=params))
        assert page["total"] == len(expected), params


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("param.lr", ["r3", "r2", "r1", "r4"]),
        ("-param.lr", ["r1", "r2", "r3", "r4"]),
        ("param.opt", ["r3", "r1", "r2", "r4"]),
        ("metric.loss.last", ["r2", "r1", "r3", "r4"]),
        ("-metric.loss.last", ["r3", "r1", "r2", "r4"]),
        ("metric.loss.min", ["r3", "r1", "r2", "r4"]),
        ("-metric.loss.min", ["r2", "r1", "r3", "r4"]),
        ("metric.loss.max", ["r2", "r3", "r1", "r4"]),
        ("-metric.loss.max", ["r1", "r3", "r2", "r4"]),
        ("created_at", ["r1", "r2", "r3", "r4"]),
        ("-created_at", ["r4", "r3", "r2", "r1"]),
        ("name", ["r1", "r3", "r2", "r4"]),
    ],
)
async def test_run_list_sorts(api: Api, tracker_store: Any, sort: str, order: list[str]) -> None:
    # Given four runs, the last with no params and no metrics
    ids = await four_runs(api, tracker_store)
    # When the list is sorted, Then the runs come in that order, those lacking the key last
    assert await listed(api, ids, ("sort", sort)) == order


async def test_run_list_pages(api: Api, tracker_store: Any) -> None:
    # Given four runs
    ids = await four_runs(api, tracker_store)
    pages = []
    for offset in (0, 2, 4):
        # When they are read two at a time, oldest first
        params = [("sort", "created_at"), ("limit", 2), ("offset", offset)]
        page = assert_ok(await api.get("/runs", params=params))
        # Then each page says where it is and how many there are in all
        assert (page["total"], page["limit"], page["offset"]) == (4, 2, offset)
        pages.append(await listed(api, ids, *params))
    assert pages == [["r1", "r2"], ["r3", "r4"], []]
    # And the largest offset there is gives an empty page
    page = assert_ok(await api.get("/runs", params={"offset": 2**63 - 1}))
    assert (page["runs"], page["total"]) == ([], 4)
    # And the total counts the filtered runs, not the page
    page = assert_ok(await api.get("/runs", params={"state": "running", "limit": 1}))
    assert (len(page["runs"]), page["total"]) == (1, 2)


async def test_run_list_metric_summaries_and_sparklines(api: Api, tracker_store: Any) -> None:
    # Given four runs, three with a 'loss' series
    ids = await four_runs(api, tracker_store)
    long_loss = [((i * 37) % 101) - 50.0 for i in range(300)]
    await api.log(ids["r1"], metrics=[{"name": "loss", "values": long_loss}])
    # When the list asks for loss summaries and 8-point loss sparklines in one response
    params = {"metrics": "loss", "sparkline": "loss", "sparkline_points": "8", "sort": "name"}
    page = assert_ok(await api.get("/runs", params=params))
    runs = {r["id"]: r for r in page["runs"]}
    # Then each run with a loss carries its summary and a sparkline of at most 8 points
    r1 = runs[ids["r1"]]
    everything = [10, 1, 4, *long_loss]
    summary = r1["metrics"]["loss"]
    assert summary["count"] == 303
    assert (summary["first"], summary["last"]) == (10, long_loss[-1])
    assert (summary["min"], summary["max"]) == (min(everything), max(everything))
    spark = r1["sparkline"]
    assert spark["name"] == "loss"
    assert_sparkline_shape(spark, list(range(303)), everything, 8, at_least=6)
    r2 = runs[ids["r2"]]
    assert (r2["metrics"]["loss"]["last"], r2["sparkline"]["values"]) == (2, [3, 2])
    # And the run without one has neither
    assert runs[ids["r4"]]["metrics"] == {}
    assert "sparkline" not in runs[ids["r4"]]
    # And without asking, the list carries no summaries and no sparklines
    plain = assert_ok(await api.get("/runs"))["runs"]
    assert all(r["metrics"] == {} and "sparkline" not in r for r in plain)


def assert_sparkline_shape(
    spark: dict[str, Any], steps: list[int], values: list[float], points: int, at_least: int
) -> None:
    """The curve keeps the first and last point, the min and the max, has between
    ``at_least`` and ``points`` points in step order, and every one is a point of the series."""
    got = list(zip(spark["steps"], spark["values"], strict=True))
    assert at_least <= len(got) <= points, len(got)
    assert got[0] == (steps[0], values[0]) and got[-1] == (steps[-1], values[-1])
    assert spark["steps"] == sorted(spark["steps"])
    assert min(values) in spark["values"] and max(values) in spark["values"]
    series = set(zip(steps, values, strict=True))
    assert all(point in series for point in got)


@pytest.mark.parametrize(("length", "at_least"), [(200, 30), (5_000, 24)])
async def test_sparklines_keep_their_shape(
    api: Api, tracker_store: Any, length: int, at_least: int
) -> None:
    # Given a run whose loss zigzags down over 200 points (decoded exactly) or 5,000 (drawn
    # from the chunks' sketches), with a spike in the middle
    run = await api.create_run(name="shape")
    values = [100.0 / (i + 1) + (i % 7) * 0.5 for i in range(length)]
    values[length // 2] = 1_000.0
    await api.log(run["id"], metrics=[{"name": "loss", "values": values}])
    # When the list asks for its sparkline, at the default size and at 64 points
    for points, params in ((32, {}), (64, {"sparkline_points": "64"})):
        page = assert_ok(await api.get("/runs", params={"sparkline": "loss", **params}))
        spark = next(r for r in page["runs"] if r["id"] == run["id"])["sparkline"]
        # Then it has the shape of the curve: ends, extremes and one min and max per interval
        assert_sparkline_shape(spark, list(range(length)), values, points, at_least)
    # And two points are just the first and the last
    page = assert_ok(await api.get("/runs", params={"sparkline": "loss", "sparkline_points": "2"}))
    spark = next(r for r in page["runs"] if r["id"] == run["id"])["sparkline"]
    assert (spark["steps"], spark["values"]) == ([0, length - 1], [values[0], values[-1]])


BAD_QUERIES: list[tuple[dict[str, str], int, str]] = [
    ({"limit": "0"}, 400, "limit"),
    ({"limit": "1001"}, 400, "limit"),
    ({"limit": "ten"}, 400, "limit"),
    ({"offset": "-1"}, 400, "offset"),
    ({"offset": str(2**63)}, 400, "offset"),
    ({"name": "nul\x00"}, 400, "name"),
    ({"owner": "nul\x00"}, 400, "owner"),
    ({"tag": "nul\x00"}, 400, "tag"),
    ({"filter": "param.opt=nul\x00"}, 400, "filter"),
    ({"state": "done"}, 400, "state"),
    ({"filter": "lr>1"}, 400, "filter"),
    ({"filter": "metric.loss.last<low"}, 400, "filter"),
    ({"sort": "metric.loss"}, 400, "sort"),
    ({"sort": "metric.loss.median"}, 400, "sort"),
    ({"sort": "secret_hash"}, 400, "sort"),
    ({"project": "bad name"}, 400, "project"),
    ({"project": "missing"}, 404, "project"),
    ({"sparkline": "loss", "sparkline_points": "1"}, 400, "sparkline_points"),
    ({"sparkline": "loss", "sparkline_points": "many"}, 400, "sparkline_points"),
]


@pytest.mark.parametrize(("params", "status", "field"), BAD_QUERIES, ids=str)
async def test_a_bad_run_query_names_the_parameter(
    api: Api, run_id: str, params: dict[str, str], status: int, field: str
) -> None:
    # Given a run, When the list is asked with a bad parameter, Then the error names it
    assert_error(await api.get("/runs", params=params), status, field=field)


async def test_sorting_by_a_param_of_mixed_types(api: Api) -> None:
    # Given runs whose param 'x' is a number, a string, or missing
    values: list[Any] = [2, "b", 1, "a", None]
    ids = {}
    for value in values:
        params = {} if value is None else {"x": value}
        ids[(await api.create_run(params=params))["id"]] = value
    for sort, expected in (
        ("param.x", [1, 2, "a", "b", None]),
        ("-param.x", [2, 1, "b", "a", None]),
    ):
        # When the list is sorted by it
        page = assert_ok(await api.get("/runs", params={"sort": sort}))
        # Then numbers come by value, then strings, and runs without it last
        assert [ids[r["id"]] for r in page["runs"]] == expected, sort


async def test_non_finite_params_and_details_read_back_alike_on_every_backend(api: Api) -> None:
    # Given a body with NaN and Infinity literals, as Python's json.dumps writes them
    body = b'{"params": {"lr": NaN, "clip": Infinity, "low": -Infinity}, "details": {"x": [NaN]}}'
    # When a run is created with it
    run = assert_ok(await api.request("POST", "/runs", body=body), 201)
    # Then it is stored, and shows them as the strings the API writes for them
    assert run["params"] == {"clip": "Infinity", "low": "-Infinity", "lr": "NaN"}
    assert run["details"] == {"x": ["NaN"]}
    assert await api.run(run["id"]) == run
    # And sending the same params again is no conflict
    again = b'{"params": {"lr": NaN, "clip": Infinity}}'
    reply = await api.request("POST", f"/runs/{run['id']}/batches", body=again)
    assert assert_ok(reply)["applied"] is True
    # And an infinite param still compares as a number
    page = assert_ok(await api.get("/runs", params={"filter": "param.clip>1e308"}))
    assert [r["id"] for r in page["runs"]] == [run["id"]]
    page = assert_ok(await api.get("/runs", params={"filter": "param.low<0"}))
    assert [r["id"] for r in page["runs"]] == [run["id"]]

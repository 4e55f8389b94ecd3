"""Where the client finds the tracker: an argument wins over the environment, which wins over
the config file, and the project is ``sandbox`` when none is named. The token never shows."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import jupyter_tracker as tracker
from jupyter_tracker.client import config

if TYPE_CHECKING:
    from conftest import ClientDirs, TrackerServer

QUIET = {"upload_stdout": False, "upload_stderr": False, "send_hardware_metrics": False}
SETTINGS = {
    # setting: (init argument, environment variable, config file key, Settings attribute)
    "url": ("url", "JUPYTER_TRACKER_URL", "url", "url"),
    "token": ("api_token", "JUPYTER_TRACKER_API_TOKEN", "api_token", "api_token"),
    "project": ("project_qualified_name", "JUPYTER_TRACKER_PROJECT", "project", "project"),
}


def write_config(dirs: ClientDirs, **values: Any) -> Path:
    path = dirs.config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values), encoding="utf-8")
    return path


@pytest.mark.parametrize("setting", sorted(SETTINGS))
@pytest.mark.parametrize(
    ("argument", "environment", "file", "expected"),
    [
        ("from-arg", "from-env", "from-file", "from-arg"),
        (None, "from-env", "from-file", "from-env"),
        (None, None, "from-file", "from-file"),
        ("from-arg", None, "from-file", "from-arg"),
        ("from-arg", "from-env", None, "from-arg"),
        (None, "", "from-file", "from-file"),  # an empty variable counts as unset
    ],
)
def test_each_setting_comes_from_the_argument_then_the_environment_then_the_file(
    client_dirs: ClientDirs,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    argument: str | None,
    environment: str | None,
    file: str | None,
    expected: str,
) -> None:
    arg_name, env_name, file_key, attribute = SETTINGS[setting]

    def value(source: str | None) -> str | None:
        # URLs must be URLs; the other settings take the marker as it is
        if source is None or setting != "url" or source == "":
            return source
        return f"http://{source}.test:8888/"

    # Given the setting in some of the three places (and a URL wherever it is not the subject)
    file_values = {file_key: value(file)} if file is not None else {}
    if setting != "url":
        file_values.setdefault("url", "http://file.test/")
    write_config(client_dirs, **file_values)
    if environment is not None:
        monkeypatch.setenv(env_name, value(environment) or "")
    # When the client is initialised
    project = tracker.init(**({arg_name: value(argument)} if argument is not None else {}))
    # Then the setting comes from the first place that has it
    assert getattr(project.settings, attribute) == value(expected)
    if setting == "project":
        assert project.name == expected


def test_with_nothing_set_the_project_is_sandbox_and_there_is_no_token(
    client_dirs: ClientDirs,
) -> None:
    settings = config.resolve(url="http://localhost:8888/")
    assert (settings.project, settings.api_token, settings.mode) == ("sandbox", None, "async")
    assert not client_dirs.config_file.exists()


def test_the_config_file_fills_in_what_the_rest_leaves_out(
    client_dirs: ClientDirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a URL in the environment, a token and project only in the config file
    write_config(client_dirs, url="http://file.test/", api_token="jtt_file", project="team")
    monkeypatch.setenv("JUPYTER_TRACKER_URL", "http://env.test/")
    # When init names only the project
    project = tracker.init("mine")
    # Then each setting comes from its own first place
    assert project.settings.url == "http://env.test/"
    assert project.settings.api_token == "jtt_file"
    assert project.name == "mine"
    assert tracker.project() is project


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '"a string"', ""])
def test_an_unreadable_config_file_is_ignored(client_dirs: ClientDirs, content: str) -> None:
    client_dirs.config_file.parent.mkdir(parents=True, exist_ok=True)
    client_dirs.config_file.write_text(content, encoding="utf-8")
    settings = config.resolve(url="http://localhost/")
    assert (settings.url, settings.api_token, settings.project) == (
        "http://localhost/",
        None,
        "sandbox",
    )


def test_the_config_file_is_in_the_jupyter_config_dir(client_dirs: ClientDirs) -> None:
    from jupyter_core.paths import jupyter_config_dir

    assert config.config_file() == Path(jupyter_config_dir()) / "jupyter_tracker_client.json"
    assert config.config_file() == client_dirs.config_file


def test_no_url_in_async_mode_is_a_value_error_with_a_hint(client_dirs: ClientDirs) -> None:
    # Given no URL anywhere
    # When the client is initialised to send as it logs
    with pytest.raises(ValueError) as info:
        tracker.init()
    # Then the error tells every way out
    message = str(info.value)
    for hint in ("url=", "JUPYTER_TRACKER_URL", "mode='offline'", "jupyter tracker sync"):
        assert hint in message
    with pytest.raises(ValueError, match="JUPYTER_TRACKER_URL"):
        tracker.create_experiment(name="no url")  # init() first, which raises the same
    # And offline mode needs none
    assert tracker.init(mode="offline").settings.url is None


async def test_create_experiment_without_init_finds_the_tracker_in_the_environment(
    tracker_server: TrackerServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the variables a Jupyter server exports to its kernels, and no init() call
    monkeypatch.setenv("JUPYTER_TRACKER_URL", tracker_server.url)
    monkeypatch.setenv("JUPYTER_TRACKER_API_TOKEN", tracker_server.token)
    monkeypatch.setenv("JUPYTER_TRACKER_PROJECT", "sandbox")
    with pytest.raises(RuntimeError, match=r"init\(\)"):
        tracker.project()

    # When an experiment is created straight away
    def scenario() -> tuple[str, str]:
        exp = tracker.create_experiment(name="no init", **QUIET)
        tracker.log_metric("loss", 0.1)
        tracker.stop()
        return exp.id, tracker.project().name

    run_id, project = await tracker_server.client(scenario)
    # Then it went to that tracker, in that project
    assert project == "sandbox"
    run = await tracker_server.get(f"runs/{run_id}")
    assert (run["name"], run["state"]) == ("no init", "succeeded")


def test_the_token_never_shows_in_reprs_of_settings_and_project(
    client_dirs: ClientDirs,
) -> None:
    secret = "jtt_" + "S3cr3t" * 7
    write_config(client_dirs, api_token=secret)
    project = tracker.init(url="http://localhost:1/")
    assert project.settings.api_token == secret
    for shown in (repr(project.settings), str(project.settings), repr(project), str(project)):
        assert secret not in shown
        assert "S3cr3t" not in shown
    assert "api_token=set" in repr(project.settings)
    assert "api_token=none" in repr(config.Settings("http://localhost:1/", None, "x", "async"))


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_the_token_never_shows_in_reprs_errors_or_log_records(
    tracker_server: TrackerServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = tracker_server.token
    wrong = "jtt_" + "W" * 43
    (tmp_path / "artifact.txt").write_text("x")

    # Given runs that log everything, one refused, and one whose tracker is away
    def scenario() -> list[str]:
        shown: list[str] = []
        project = tracker.init(url=tracker_server.url, api_token=secret)
        exp = project.create_experiment(name="secret", params={"p": 1}, tags=["t"])
        exp.log_metric("loss", 0.5)
        exp.log_text("notes", "text")
        exp.log_artifact(tmp_path / "artifact.txt")
        exp.set_property("k", "v")
        print("printed while the run captures stdout")
        shown += [repr(exp), str(exp), repr(project), repr(project.settings)]
        shown.append(repr(exp.stop()))
        shown.append(repr(project.get_experiments()))
        shown.append(repr(project.get_leaderboard()))
        tracker.init(url=tracker_server.url, api_token=wrong)
        try:
            tracker.create_experiment(name="refused", **QUIET)
        except tracker.ApiError as e:
            shown += [repr(e), str(e), e.message]
        away = tracker.init(url=f"http://127.0.0.1:{closed_port()}/", api_token=secret)
        lost = away.create_experiment(name="away", **QUIET)
        lost.log_metric("loss", 1.0)
        shown += [repr(lost), repr(lost.stop(timeout=0.5))]
        return shown

    shown = await tracker_server.client(scenario)
    # Then neither secret is in any repr, error or log record of the client or the server
    assert len(shown) > 10
    assert any("401" in s for s in shown)
    for text in shown:
        assert secret not in text and wrong not in text
    assert any("not on the server yet" in r.getMessage() for r in caplog.records)
    assert any(r.name.startswith("jupyter_tracker") for r in caplog.records)
    for record in caplog.records:
        logged = record.getMessage() + (record.exc_text or "") + repr(record.args)
        assert secret not in logged and wrong not in logged, record
        assert secret[4:20] not in logged and wrong[4:20] not in logged, record

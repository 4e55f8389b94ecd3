"""StreamCapture in a script and in this process (the kernel tests are in
test_capture_streams_kernel.py)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from jupyter_tracker.client.capture import StreamCapture

Collected = list[tuple[str, str]]


def fake_stdout(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """A plain StringIO as sys.stdout, to see what reaches "the terminal".

    Set in the test itself: pytest's own capture puts its stream back between setup and call.
    """
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    return stream


def test_a_script_keeps_its_output_and_the_callback_gets_it(tmp_path: Path) -> None:
    # Given a script that captures, prints to both streams, then swaps in its own stdout
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            import io, json, sys
            from jupyter_tracker.client.capture import StreamCapture

            got = []
            capture = StreamCapture(lambda name, text: got.append([name, text]))
            capture.start()
            print("epoch 1", end="")
            print(" done")
            n = sys.stderr.write("warning\\n")
            sys.stdout.writelines(["a\\n", "b\\n"])
            sys.stdout.flush()
            mine = io.StringIO()
            sys.stdout = mine
            print("not captured")
            capture.stop()
            assert sys.stdout is mine
            sys.stdout = sys.__stdout__
            print("after")
            with open(sys.argv[1], "w") as f:
                json.dump({"got": got, "n": n}, f)
            """
        )
    )
    result_file = tmp_path / "got.json"
    # When it runs as a plain process
    proc = subprocess.run(
        [sys.executable, str(script), str(result_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Then the terminal saw everything unchanged, and the callback saw what was written
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "epoch 1 done\na\nb\nafter\n"
    assert proc.stderr == "warning\n"
    result = json.loads(result_file.read_text())
    assert result["n"] == len("warning\n")
    assert result["got"] == [
        ["stdout", "epoch 1"],
        ["stdout", " done"],
        ["stdout", "\n"],
        ["stderr", "warning\n"],
        ["stdout", "a\nb\n"],
    ]


def test_text_reaches_the_original_and_the_callback(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = fake_stdout(monkeypatch)
    got: Collected = []
    capture = StreamCapture(lambda name, text: got.append((name, text)))
    capture.start()
    try:
        assert sys.stdout.write("abc") == 3
        print("line")
    finally:
        capture.stop()
    assert stdout.getvalue() == "abcline\n"
    assert got == [("stdout", "abc"), ("stdout", "line"), ("stdout", "\n")]


def test_a_callback_that_prints_is_not_called_again(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = fake_stdout(monkeypatch)
    got: Collected = []

    def on_text(name: str, text: str) -> None:
        got.append((name, text))
        print(f"[{text!r}]")  # would recurse without the guard
        sys.stderr.write("also\n")

    capture = StreamCapture(on_text)
    capture.start()
    try:
        sys.stdout.write("x")
    finally:
        capture.stop()
    assert got == [("stdout", "x")]
    assert stdout.getvalue() == "x['x']\n"


def test_the_guard_is_per_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = fake_stdout(monkeypatch)
    # Given a callback that, for one text, makes another thread print and waits for it
    got: Collected = []

    def on_text(name: str, text: str) -> None:
        got.append((name, text))
        if text == "first":
            worker = threading.Thread(target=lambda: sys.stdout.write("second"))
            worker.start()
            worker.join()

    capture = StreamCapture(on_text)
    capture.start()
    try:
        sys.stdout.write("first")
    finally:
        capture.stop()
    # Then the other thread's output is still captured
    assert got == [("stdout", "first"), ("stdout", "second")]
    assert stdout.getvalue() == "firstsecond"


def test_a_failing_callback_never_reaches_the_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = fake_stdout(monkeypatch)

    def on_text(name: str, text: str) -> None:
        raise RuntimeError("broken callback")

    capture = StreamCapture(on_text)
    capture.start()
    try:
        assert sys.stdout.write("still works") == len("still works")
        print("and again")
    finally:
        capture.stop()
    assert stdout.getvalue() == "still worksand again\n"


def test_attributes_pass_through_to_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open(tmp_path / "out.txt", "w", encoding="latin-1") as original:
        monkeypatch.setattr(sys, "stdout", original)
        capture = StreamCapture(lambda name, text: None)
        capture.start()
        try:
            tee = sys.stdout
            assert tee is not original
            assert tee.fileno() == original.fileno()
            assert tee.isatty() is False
            assert tee.encoding == "latin-1"
            assert tee.closed is False
            assert tee.buffer is original.buffer
            tee.write("é")
            tee.flush()
            assert (tmp_path / "out.txt").read_bytes() == b"\xe9"
        finally:
            capture.stop()
        assert sys.stdout is original


def test_stop_restores_the_exact_originals_and_is_idempotent() -> None:
    before = (sys.stdout, sys.stderr)
    capture = StreamCapture(lambda name, text: None)
    capture.start()
    capture.start()  # no second layer
    try:
        assert sys.stdout is not before[0]
        assert sys.stdout._original is before[0]  # type: ignore[union-attr]
    finally:
        capture.stop()
    capture.stop()
    assert (sys.stdout, sys.stderr) == before
    assert sys.stdout is before[0] and sys.stderr is before[1]


def test_stop_leaves_a_stream_the_user_set_later(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a capture, after which the user installs their own stdout
    original = io.StringIO()
    monkeypatch.setattr(sys, "stdout", original)
    got: Collected = []
    capture = StreamCapture(lambda name, text: got.append((name, text)))
    capture.start()
    tee = sys.stdout
    mine = io.StringIO()
    sys.stdout = mine
    # When the capture stops
    capture.stop()
    # Then theirs stays, and our wrapper (if they still write to it) only passes text on
    assert sys.stdout is mine
    tee.write("late")
    assert original.getvalue() == "late"
    assert got == []


def test_two_captures_stop_in_any_order(monkeypatch: pytest.MonkeyPatch) -> None:
    original = io.StringIO()
    monkeypatch.setattr(sys, "stdout", original)
    first: Collected = []
    second: Collected = []
    outer = StreamCapture(lambda name, text: first.append((name, text)))
    inner = StreamCapture(lambda name, text: second.append((name, text)))
    outer.start()
    inner.start()
    sys.stdout.write("both")
    outer.stop()  # not on top: spliced out of the chain
    sys.stdout.write("inner only")
    inner.stop()
    assert sys.stdout is original
    assert first == [("stdout", "both")]
    assert second == [("stdout", "both"), ("stdout", "inner only")]
    assert original.getvalue() == "bothinner only"


def test_a_missing_stream_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", None)
    capture = StreamCapture(lambda name, text: None)
    capture.start()
    try:
        assert sys.stderr is None
        assert capture.active
    finally:
        capture.stop()
    assert not capture.active

"""``presence eval openings``: the matching rule, label files and the command end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from assistant_openings import DETECTORS
from assistant_openings.evaluate import read_chat
from assistant_openings.labels import KINDS, Moment, load_labels
from assistant_openings.matching import WINDOW, Placed, match, score

from assistant.commandline import main

FIXTURES = Path(__file__).parent / "fixtures"
LOG = "2024-05-05.bloggers.raw.txt"


def moment(
    n: int, verdict: str = "good", *, file: str = "a.csv", who: str = "pro", kind: str = "interest"
) -> Moment:
    return Moment(file, n, who, kind, verdict)


def opening(
    n: int | None,
    *,
    file: str = "a.csv",
    who: str = "pro",
    kind: str = "interest",
    score: float = 0.5,
) -> Placed:
    return Placed(file, n, who, kind, score)


# ---------------------------------------------------------------- the matching rule


def test_an_opening_matches_a_moment_of_the_same_notable_within_the_window() -> None:
    moments = [moment(10)]
    near, far = opening(10 + WINDOW), opening(10 - WINDOW - 1)
    assert [j.moment for j in match([near], moments)] == [moments[0]]
    assert [j.moment for j in match([far], moments)] == [None]


def test_another_notable_or_another_file_does_not_match() -> None:
    moments = [moment(10)]
    judged = match([opening(10, who="other"), opening(10, file="b.csv"), opening(None)], moments)
    assert [j.verdict for j in judged] == ["unjudged", "unjudged", "unjudged"]


def test_nearest_first_and_one_to_one() -> None:
    moments = [moment(10, "good"), moment(12, "bad")]
    # The opening at 11 is one from both; the one at 12 takes the moment at 12 (distance 0),
    # so the one at 11 gets the moment at 10.
    judged = match([opening(11), opening(12)], moments)
    assert [j.verdict for j in judged] == ["good", "bad"]
    # Two openings on the same line, one moment: the second is unjudged.
    judged = match([opening(10), opening(10)], [moment(10)])
    assert [j.verdict for j in judged] == ["good", "unjudged"]


def test_at_the_same_distance_the_same_kind_wins() -> None:
    moments = [moment(5, "bad", kind="interest"), moment(5, "good", kind="unanswered_question")]
    judged = match([opening(5, kind="unanswered_question")], moments)
    assert judged[0].moment == moments[1]


def test_scores_count_judged_openings_and_found_good_moments() -> None:
    moments = [moment(0), moment(10), moment(20, "bad"), moment(30, "good", kind="other")]
    judged = match([opening(1, score=0.9), opening(20, score=0.8), opening(50, score=1.0)], moments)
    total = score(judged, moments)
    assert (total.surfaced, total.good, total.bad, total.unjudged) == (3, 1, 1, 1)
    assert total.precision == 0.5  # unjudged openings do not count
    assert total.recall == 1 / 3  # good moments: 0, 10, 30
    assert total.f1 == pytest.approx(0.4)
    assert total.precision_at_20 == 0.5  # the unjudged top-scored one is left out
    assert total.labelled == 4
    other = score([j for j in judged if j.opening.kind == "other"], moments[3:], judged)
    assert (other.surfaced, other.good_moments, other.recall) == (0, 1, 0.0)


def test_precision_at_20_takes_the_twenty_highest_scored() -> None:
    moments = [moment(10 * i, "good" if i < 20 else "bad") for i in range(25)]
    # The five bad ones score highest, so the top twenty hold 15 good ones.
    openings = [opening(10 * i, score=(2.0 if i >= 20 else 1.0)) for i in range(25)]
    assert score(match(openings, moments), moments).precision_at_20 == 0.75


def test_label_kinds_are_the_detectors_kinds_and_other() -> None:
    assert {d.kind for d in DETECTORS} | {"other"} == KINDS


# ---------------------------------------------------------------- label files and logs


def write_labels(folder: Path, **changes: object) -> Path:
    raw = json.loads((FIXTURES / "bloggers.labels.json").read_text(encoding="utf-8"))
    raw.update(changes)
    path = folder / "labels.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_raw_logs_number_lines_and_csv_exports_number_records(tmp_path: Path) -> None:
    chat = read_chat(load_labels(FIXTURES / "bloggers.labels.json"), FIXTURES)
    # Line 0 is a join ("===" line): messages keep their line numbers.
    assert chat.positions[:3] == [(LOG, 0), (LOG, 1), (LOG, 2)]
    assert chat.sizes[LOG] == 17
    export = tmp_path / "help.csv"
    export.write_text(
        "AuthorID,Author,Date,Content,Attachments,Reactions\n"
        '"1","ann#0001","2024-05-05T19:30:00+00:00","two\nlines","",""\n'
        '"2","bob#0002","2024-05-05T19:31:00+00:00","one line","",""\n',
        encoding="utf-8",
    )
    labels = write_labels(tmp_path, logs=["help.csv"], moments=[])
    chat = read_chat(load_labels(labels), tmp_path)
    assert chat.positions == [("help.csv", 0), ("help.csv", 1)]
    assert chat.sizes["help.csv"] == 2


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"kind": "greeting"}, "unknown kind 'greeting'"),
        ({"verdict": "meh"}, "unknown verdict 'meh'"),
        ({"n": 17}, "past the end of the log (17 messages)"),
        ({"file": "other.txt"}, "must be one of the label file's logs"),
    ],
)
def test_a_bad_moment_is_an_error_naming_file_and_moment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, object], said: str
) -> None:
    raw = json.loads((FIXTURES / "bloggers.labels.json").read_text(encoding="utf-8"))
    bad = {**raw["moments"][1], **change}
    labels = write_labels(tmp_path, moments=[raw["moments"][0], bad])
    status = main(["eval", "openings", str(labels), "--data", str(FIXTURES)])
    err = " ".join(capsys.readouterr().err.split())
    assert status == 2
    assert f"{labels}: moment 1" in err and said in err


def test_a_missing_log_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = write_labels(tmp_path, logs=["gone.raw.txt"], moments=[])
    assert main(["eval", "openings", str(labels), "--data", str(FIXTURES)]) == 2
    assert "log gone.raw.txt not found" in " ".join(capsys.readouterr().err.split())


# ---------------------------------------------------------------- end to end


def test_the_command_replays_the_labelled_log_and_scores_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(
        ["eval", "openings", str(FIXTURES / "bloggers.labels.json"), "--data", str(FIXTURES)]
    )
    out = capsys.readouterr().out
    assert status == 0
    lines = out.strip().splitlines()
    # The question nobody answers is surfaced (good); "me: you host a podcast" is surfaced
    # and judged bad; the shared post is surfaced once there was time to read it (being
    # spoken to does not start the cooldown that would hold it back).
    assert lines[-1] == (
        "openings: precision=66.7 recall=100.0 f1=80.0 precision_at_20=66.7 surfaced=3 labelled=3"
    )
    cells = [line.split() for line in lines]
    rows = {row[0]: row[1:] for row in cells if row and row[0] in KINDS}
    # surfaced, good, bad, unjudged, good moments, recall
    assert rows["unanswered_question"] == ["1", "1", "0", "0", "1", "100.0"]
    assert rows["addressed_you"] == ["1", "0", "1", "0", "0", "0.0"]
    assert rows["shared_work"] == ["1", "1", "0", "0", "1", "100.0"]

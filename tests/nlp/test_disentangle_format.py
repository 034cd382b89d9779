"""The corpus reader keeps file order, crosses midnight forwards and reports bad lines by place."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from assistant.nlp.disentangle_format import (
    FormatError,
    find_transcripts,
    read_raw,
    read_transcript,
)

FIXTURES = Path(__file__).parent / "fixtures"
EXCERPT = FIXTURES / "2012-03-24.excerpt.raw.txt"


def test_reads_every_line_with_its_id_and_author() -> None:
    transcript = read_transcript(EXCERPT)
    assert len(transcript.utterances) == 70
    first = transcript.utterances[0]
    assert first.author == "cuddylier"
    assert first.text == "How would I install on the other partition?"
    assert first.time == datetime(2012, 3, 24, 23, 52)
    assert transcript.name == "2012-03-24.excerpt"


def test_system_lines_have_no_time_and_name_their_nick() -> None:
    system = read_transcript(EXCERPT).utterances[32]
    assert system.system
    assert system.author == "adriano"
    assert system.time is None
    assert system.text == "adriano is now known as Guest96427"


def test_time_going_backwards_is_the_next_day_in_file_order() -> None:
    utterances = read_transcript(EXCERPT).utterances
    assert utterances[29].time == datetime(2012, 3, 24, 23, 59)
    assert utterances[30].time == datetime(2012, 3, 25, 0, 0)
    times = [u.time for u in utterances if u.time is not None]
    assert times == sorted(times)


def test_links_keep_several_antecedents_and_self_links() -> None:
    links = read_transcript(EXCERPT).links
    assert links[28] == {22, 26}
    assert links[69] == {62, 68}
    assert links[2] == {2}
    assert 0 not in links  # its antecedent lies before the excerpt


def test_actions_and_relayed_lines_have_authors(tmp_path: Path) -> None:
    raw = tmp_path / "2009-01-01.raw.txt"
    raw.write_text(
        "[10:00]  * mrglinux prefers debian\n"
        "[10:01] (soundray/#ubuntu) thomas: have you seen it ?\n"
        "[10:02] <k1l_> wellick: do a cd /\r\n"
        "[10:03] <nancy--> ok\n"
        "[10:04] -gfxtxoyrwa:#ubuntu- spam\n",
        encoding="utf-8",
    )
    assert [u.author for u in read_raw(raw)] == [
        "mrglinux",
        "soundray",
        "k1l_",
        "nancy--",
        "gfxtxoyrwa",
    ]
    assert read_raw(raw)[2].text == "wellick: do a cd /"


def test_a_malformed_raw_line_names_file_and_line(tmp_path: Path) -> None:
    raw = tmp_path / "x.raw.txt"
    raw.write_text("[10:00] <a> hi\nthis is not a log line\n", encoding="utf-8")
    (tmp_path / "x.annotation.txt").write_text("0 0 -\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"x\.raw\.txt:2: expected") as caught:
        read_transcript(raw)
    assert caught.value.line == 2


def test_a_malformed_annotation_line_names_file_and_line(tmp_path: Path) -> None:
    raw = tmp_path / "x.raw.txt"
    raw.write_text("[10:00] <a> hi\n[10:01] <b> a: hello\n", encoding="utf-8")
    (tmp_path / "x.annotation.txt").write_text("0 0 -\n1 zero -\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"x\.annotation\.txt:2:"):
        read_transcript(raw)
    (tmp_path / "x.annotation.txt").write_text("0 7 -\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"x\.annotation\.txt:1: message 7 is past"):
        read_transcript(raw)


def test_a_missing_annotation_file_is_named(tmp_path: Path) -> None:
    raw = tmp_path / "x.raw.txt"
    raw.write_text("[10:00] <a> hi\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"x\.annotation\.txt"):
        read_transcript(raw)


def test_directories_expand_to_their_raw_files(tmp_path: Path) -> None:
    assert find_transcripts([FIXTURES]) == [EXCERPT]
    with pytest.raises(FormatError, match="no such file"):
        find_transcripts([tmp_path / "missing"])
    with pytest.raises(FormatError, match=r"no X\.raw\.txt"):
        find_transcripts([tmp_path])

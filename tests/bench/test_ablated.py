"""`bench.rush --free`: the parts it can make free are named, and a wrong name is refused
before anything starts."""

import pytest

from bench import ablated, rush


def test_the_parts_named_are_read_in_order():
    assert ablated.parts_from(" email, answer ,,") == ["email", "answer"]


def test_an_unknown_part_is_refused_with_the_parts_there_are(capsys):
    with pytest.raises(SystemExit):
        rush.parse_args(["--free", "email,templates"])
    error = capsys.readouterr().err
    assert "unknown parts templates" in error
    assert "email, days, month, answer" in error


def test_without_free_the_portal_itself_is_measured():
    assert rush.parse_args([]).free == []

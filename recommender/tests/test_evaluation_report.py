from __future__ import annotations

import math
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from recommender.evaluation.report import table
from recommender.evaluation.sandbox import EVAL_EMAIL_DOMAIN
from tests.factories import PlaylistFactory


def test_a_table_aligns_its_first_column_left_and_numbers_right_with_three_decimals():
    text = table(["method", "recall@10"], [("ours", 0.51234), ("random", math.nan), ("popularity", 1)])

    assert text.splitlines() == [
        "method      recall@10",
        "----------  ---------",
        "ours            0.512",
        "random              —",
        "popularity          1",
    ]


def test_the_command_prints_the_continuation_table_and_leaves_no_eval_users(small_catalog, tmp_path):
    for number in range(2):
        PlaylistFactory.create(name=f"Playlist {number}", tracks=small_catalog[number * 8 : (number + 1) * 8])
    out = StringIO()

    call_command(
        "eval_recommender",
        "--sections",
        "continuation,lastfm",
        "--no-generous",
        "--lastfm",
        str(tmp_path),
        stdout=out,
    )

    printed = out.getvalue()
    assert "playlists 2 of 2 eligible" in printed
    assert "== (a) playlist continuation: 2 playlists, 4 hidden tracks" in printed
    assert "method" in printed and "recall order (weight)" in printed and "ours, pool" not in printed
    assert f"skipped: no artists.dat / user_artists.dat under {tmp_path}" in printed
    assert "throwaway users left behind and deleted: 0\ntotal runtime:" in printed
    assert not User.objects.filter(email__endswith=f"@{EVAL_EMAIL_DOMAIN}").exists()


def test_the_command_refuses_unknown_sections_and_an_empty_catalog(db):
    with pytest.raises(CommandError, match="unknown sections: moods"):
        call_command("eval_recommender", "--sections", "moods")
    with pytest.raises(CommandError, match="No embedded tracks"):
        call_command("eval_recommender", "--sections", "mood")

"""What a recommendation turn costs the database: a handful of statements, whatever the listener has.

A chat turn used to make 25–30 round trips; each is a wait on PostgreSQL that holds a pool
thread. This pins the count for a listener with everything that feeds a turn (history, top
tracks, candidates, liked and rejected tastes, votes, earlier lists, settings, site weights).
"""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.models import Track
from chat.agent.turn import run_turn
from recommender.models import TastePreference
from recommender.recall import recall_candidates_for_user
from tests.factories import (
    FeedbackFactory,
    ListenerSettingsFactory,
    PlayFactory,
    RankingWeightsFactory,
    TastePreferenceFactory,
    TopTrackFactory,
)

MAX_TURN_QUERIES = 8


@pytest.fixture
def seasoned_listener(alice, small_catalog):
    """Alice with history, votes, tastes both ways, settings and site weights."""
    tracks = list(Track.objects.order_by("id"))
    for track in tracks[:4]:
        PlayFactory.create(user=alice, track=track)
    for track in tracks[4:7]:
        TopTrackFactory.create(user=alice, track=track)
    FeedbackFactory.create(user=alice, track=tracks[8])
    FeedbackFactory.create(user=alice, track=tracks[9], kind="dislike")
    TastePreferenceFactory.create(user=alice, value="pop", liked=True)
    TastePreferenceFactory.create(user=alice, value="metal", liked=False)
    TastePreferenceFactory.create(
        user=alice, kind=TastePreference.Kind.ARTIST, value=tracks[10].artists.first().spotify_id, liked=True
    )
    ListenerSettingsFactory.create(user=alice, alpha_emotion=2.0)
    RankingWeightsFactory.create()
    recall_candidates_for_user(user=alice)
    return alice


@pytest.mark.django_db
def test_a_recommendation_turn_makes_at_most_eight_queries(seasoned_listener, django_assert_max_num_queries):
    run_turn(user=seasoned_listener, text="hello")  # the conversation exists before the measured turn
    with django_assert_max_num_queries(MAX_TURN_QUERIES) as captured:
        result = run_turn(user=seasoned_listener, text="I'm sad, play me something calm")
    kinds = [event["type"] for event in result.events]
    assert "tracks" in kinds, kinds
    assert len(captured.captured_queries) <= MAX_TURN_QUERIES  # the fixture checks this too, on exit


@pytest.mark.django_db
def test_a_second_turn_still_excludes_what_the_first_served(seasoned_listener):
    first = run_turn(user=seasoned_listener, text="play me something happy")
    second = run_turn(user=seasoned_listener, text="play me something happy")
    served = [
        {t["track_id"] for e in r.events if e["type"] == "tracks" for t in e["tracks"]}
        for r in (first, second)
    ]
    assert served[0] and served[1]
    assert not served[0] & served[1]


@pytest.mark.django_db
def test_one_index_on_candidates_leads_with_the_listener():
    # The pool statement looks up "this listener's weight for this track" per pooled row. With a
    # second index leading with the listener, the planner (which guesses a listener has few
    # candidates) took it and read all of the listener's ~800 candidates for every row.
    with connection.cursor() as cursor:
        user_column = _column_number(cursor, "recommender_candidate", "user_id")
        cursor.execute(
            "SELECT indexrelid::regclass::text, indkey::text FROM pg_index "
            "WHERE indrelid = 'recommender_candidate'::regclass"
        )
        leading = sorted(name for name, key in cursor.fetchall() if key.split()[0] == str(user_column))
    assert leading == ["unique_candidate"]


def _column_number(cursor, table: str, column: str) -> int:
    cursor.execute(
        "SELECT attnum FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s", [table, column]
    )
    return cursor.fetchone()[0]

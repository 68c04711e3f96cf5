from __future__ import annotations

import pytest

from mood.mood_text import (
    lyrics_mood_words,
    lyrics_words_in,
    mood_query_text,
    mood_text_for_track,
    reason_for_track,
    text_hash,
)
from mood.target import target_region


def _words(text: str) -> set[str]:
    return {word.strip(".,:").lower() for word in text.split()}


def test_it_describes_a_sad_quiet_acoustic_track_in_plain_words():
    text = mood_text_for_track(
        name="Rainy Window",
        artists=["Ada", "Ben"],
        genre="folk",
        subgenre="indie folk",
        valence=0.1,
        energy=0.15,
        tempo=72,
        acousticness=0.9,
        instrumentalness=0.0,
    )

    assert text == "folk, indie folk. sad, dark, calm, quiet, lonely, sorrowful. slow, acoustic."
    assert "instrumental" not in text


def test_it_leaves_the_title_out_when_anything_else_describes_the_track():
    assert "Mood" not in mood_text_for_track(name="Mood", artists=["X"], genre="pop", valence=0.5)
    assert "Mood" not in mood_text_for_track(name="Mood", artists=["X"], lyrics_words=["love"])


def test_it_describes_an_angry_loud_track_differently_from_a_happy_one():
    angry = mood_text_for_track(name="X", genre="metal", valence=0.1, energy=0.95, tempo=170)
    happy = mood_text_for_track(name="Y", genre="pop", valence=0.9, energy=0.85, tempo=124, danceability=0.8)

    assert {"angry", "aggressive", "intense", "fast"} <= _words(angry)
    assert {"happy", "euphoric", "party", "danceable"} <= _words(happy)


def test_it_says_nothing_of_a_mid_tempo():
    assert mood_text_for_track(name="X", genre="pop", tempo=100) == "pop."


def test_it_falls_back_to_title_and_artists_when_it_knows_nothing_else():
    assert mood_text_for_track(name="Only a name") == "Only a name."
    assert mood_text_for_track(name="Rain", artists=["Ada", "Ben"]) == "Rain by Ada, Ben."


def test_it_does_not_repeat_words():
    text = mood_query_text("sadness", -0.7, -0.4)

    words = [word.strip() for word in text.split(".")[0].split(",")]
    assert len(words) == len(set(words))


def test_it_adds_lyrics_mood_words_last_and_reads_them_back():
    text = mood_text_for_track(
        name="S", genre="pop", valence=0.1, energy=0.1, lyrics_words=["heartbreak", "lonely"]
    )

    assert text.endswith(". Lyrics: heartbreak, lonely.")
    assert lyrics_words_in(text) == ["heartbreak", "lonely"]
    assert lyrics_words_in(mood_text_for_track(name="S", genre="pop")) == []


def test_it_does_not_mistake_a_title_for_lyrics_words():
    assert lyrics_words_in(mood_text_for_track(name="Lyrics: love", artists=["X"])) == []


def test_it_finds_the_moods_of_lyrics_by_their_cue_words():
    lyrics = """[ar:Someone]
[00:01.00]I cry alone tonight, tears on my pillow
[00:05.00]Goodbye, you left me lonely, nobody calls
[00:09.00]I still love you"""

    assert lyrics_mood_words(lyrics) == ["heartbreak", "lonely"]
    assert lyrics_mood_words("Tanzen wir die ganze Nacht") == []
    assert len(lyrics_mood_words("love love cry cry alone alone dance dance hate hate")) == 3


def test_it_writes_queries_in_the_track_vocabulary():
    query = mood_query_text("sadness", -0.7, -0.4, "I feel   lonely tonight")
    sad_track = mood_text_for_track(name="S", valence=0.12, energy=0.25, tempo=70)
    happy_track = mood_text_for_track(name="H", valence=0.9, energy=0.8, tempo=128)

    assert query.endswith("I feel lonely tonight")
    assert len(_words(query) & _words(sad_track)) > len(_words(query) & _words(happy_track))


@pytest.mark.parametrize(
    ("valence", "arousal", "low_valence", "low_energy"),
    [(-0.7, -0.4, True, True), (-0.6, 0.7, True, False), (0.8, 0.5, False, False), (0.6, -0.6, False, True)],
)
def test_it_maps_each_quadrant_of_the_circumplex_to_its_corner(valence, arousal, low_valence, low_energy):
    region = target_region(valence, arousal)

    assert (region.valence < 0.5) is low_valence
    assert (region.energy < 0.5) is low_energy
    assert 0.0 < region.valence < 1.0 and 0.0 < region.energy < 1.0


def test_it_narrows_the_region_for_strong_moods_and_clips_nonsense():
    assert target_region(0.9, 0.9).width < target_region(0.0, 0.0).width
    assert target_region(5.0, -5.0) == target_region(1.0, -1.0)


def test_it_aims_brighter_when_the_listener_wants_lifting():
    assert target_region(-0.7, -0.4, strategy="lift").valence > target_region(-0.7, -0.4).valence
    assert target_region(0.8, 0.5, strategy="lift") == target_region(0.8, 0.5)


def test_it_explains_a_track_in_one_line():
    reason = reason_for_track(label="sadness", genre="pop", valence=0.3, energy=0.1, acousticness=0.8)

    assert reason == "Gentle and melancholic acoustic pop — fits a low mood"


def test_it_explains_a_track_without_audio_features():
    assert reason_for_track(label="joy", genre="") == "Track close to your words — fits a happy mood"


def test_it_hashes_text_stably():
    assert text_hash("calm") == text_hash("calm") != text_hash("calm.")
    assert len(text_hash("calm")) == 64

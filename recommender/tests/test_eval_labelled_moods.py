"""``eval_recommender --moods``: mood fit measured on a labelled file, in a scratch catalog."""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from catalog.csv_rows import spotify_like_id
from catalog.models import Track
from mood.track_mood import FEATURE_NAMES, track_mood_model, track_mood_override
from recommender.evaluation.labelled_moods import labelled_rows

pytestmark = pytest.mark.django_db

# Where each mood's tracks sit, roughly as in human-labelled data (not the shipped model's data).
PROFILES = {
    "Happy": dict(
        danceability=0.7, acousticness=0.15, energy=0.75, instrumentalness=0.0, valence=0.8, loudness=-5.5,
        tempo=118.0,
    ),
    "Sad": dict(
        danceability=0.45, acousticness=0.6, energy=0.35, instrumentalness=0.0, valence=0.2, loudness=-9.0,
        tempo=95.0,
    ),
    "Calm": dict(
        danceability=0.3, acousticness=0.95, energy=0.08, instrumentalness=0.9, valence=0.1, loudness=-24.0,
        tempo=75.0,
    ),
    "Energetic": dict(
        danceability=0.55, acousticness=0.02, energy=0.92, instrumentalness=0.2, valence=0.4, loudness=-4.0,
        tempo=128.0,
    ),
}  # fmt: skip
WORDS = {"Happy": "Sunny", "Sad": "Tears", "Calm": "Still", "Energetic": "Rush"}


def labelled_file(path: Path, per_mood: int) -> Path:
    rng = np.random.default_rng(7)
    columns = ["name", "album", "artist", "id", "release_date", "popularity", "length", *FEATURE_NAMES]
    columns += ["key", "time_signature", "mood"]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for mood, profile in PROFILES.items():
            for n in range(per_mood):
                row = {
                    name: round(value * float(rng.uniform(0.9, 1.1)), 3) for name, value in profile.items()
                }
                writer.writerow(
                    {
                        **row,
                        "liveness": 0.1,
                        "speechiness": 0.04,
                        "name": f"{WORDS[mood]} {n}",
                        "album": f"{WORDS[mood]} Album {n % 3}",
                        "artist": f"{mood} Artist {n}",
                        "id": spotify_like_id(f"eval|{mood}|{n}"),
                        "release_date": "2020-01-01",
                        "popularity": 30 + n,
                        "length": 200_000,
                        "key": 1,
                        "time_signature": 4,
                        "mood": mood,
                    }
                )
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("eval_recommender", *args, stdout=out)
    return out.getvalue()


def overall(report: str) -> tuple[float, float]:
    found = re.search(r"^overall\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", report, re.M)
    assert found, report
    ours, chance, _popular = found.groups()
    return float(ours), float(chance)


def test_the_file_becomes_rows_without_its_labels_and_blind_blanks_the_features(tmp_path):
    path = labelled_file(tmp_path / "moods.csv", per_mood=2)

    rows, labels = labelled_rows(path, blind=True)
    seen, _ = labelled_rows(path, blind=False)

    assert len(rows) == 8 and set(labels.values()) == {"happy", "sad", "calm", "energetic"}
    assert all("mood" not in row for row in rows)
    assert all(row["valence"] == "" for row in rows) and all(row["valence"] for row in seen)


def test_mood_fit_on_labels_beats_chance_and_leaves_the_catalog_as_it_was(tmp_path):
    Track.objects.create(name="Kept", spotify_id="keptkeptkeptkeptkeptk0")
    path = labelled_file(tmp_path / "moods.csv", per_mood=25)  # room for two lists of ten per mood

    report = run("--moods", str(path), "--no-ablations")

    ours, chance = overall(report)
    assert chance == pytest.approx(0.25)
    assert ours >= 0.8
    for mood in ("happy", "sad", "calm", "energetic"):
        assert re.search(rf"^{mood}\s+[\d.]+\s+0\.250", report, re.M)
    assert "NOTE" not in report
    assert list(Track.objects.values_list("name", flat=True)) == ["Kept"]  # the scratch catalog is gone


def test_blind_runs_say_what_each_signal_adds(tmp_path):
    path = labelled_file(tmp_path / "moods.csv", per_mood=6)

    report = run("--moods", str(path), "--blind")

    assert "features blanked" in report
    assert "without text" in report and "without metadata" in report and "without features" not in report
    ours, chance = overall(report)
    assert 0.0 <= ours <= 1.0 and chance == pytest.approx(0.25)


def test_a_file_the_model_learned_from_is_flagged_as_not_held_out(tmp_path):
    path = labelled_file(tmp_path / "moods.csv", per_mood=3)
    _, labels = labelled_rows(path, blind=False)
    taught = replace(track_mood_model(), trained_ids=frozenset(labels))

    with track_mood_override(taught):
        report = run("--moods", str(path), "--no-ablations")

    assert "NOTE: 12 of 12 tracks taught the shipped model their label" in report


def test_bad_arguments_get_clear_errors(tmp_path):
    with pytest.raises(CommandError, match="not found"):
        run("--moods", str(tmp_path / "missing.csv"))
    empty = tmp_path / "empty.csv"
    empty.write_text("name,id,mood\n")
    with pytest.raises(CommandError, match="no rows with a mood label"):
        run("--moods", str(empty))
    with pytest.raises(CommandError, match="--folds"):
        run("--moods", str(labelled_file(tmp_path / "m.csv", per_mood=1)), "--folds", "1")

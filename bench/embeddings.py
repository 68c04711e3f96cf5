"""Embedding and vector-search figures on this machine: `make bench` or `python bench/embeddings.py`.

Prints a table and asserts nothing. The embedding rows need no database; the pgvector
rows run only when the configured database holds embedded TrackProfiles (point
EMBEDDED_DATABASE_NAME or DATABASE_URL at a loaded catalog).

Options:
  --retrieval  how well mood queries retrieve the demo catalog (demo/catalog.json.gz, no
               database): mean valence/energy distance of the top 50 to the mood's target and
               genre precision for queries that name a genre, for the mood texts as written
               and with the title and artists put back in front.
  --refresh    time a full track_profiles_refresh of the configured database's catalog after
               clearing its text hashes (everything is re-embedded; the result is unchanged).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mood import encoder as embeddings
from mood.encoder import PARALLEL_PASSES, embed_text, embed_texts
from mood.encoder_build import packaged_model_path
from mood.mood_text import mood_query_text, mood_text_for_track
from mood.target import target_region

GENRES = ("pop", "rock", "metal", "folk", "edm", "hip-hop", "jazz", "r&b", "classical", "latin")
MOODS = (
    ("sadness", -0.7, -0.4, "I feel so low tonight"),
    ("joy", 0.8, 0.5, "I just got the job!"),
    ("anger", -0.6, 0.7, "my boss is driving me mad"),
    ("fear", -0.7, 0.6, "exam tomorrow and I'm nervous"),
    ("neutral", 0.0, 0.0, "something for the commute"),
    ("surprise", 0.3, 0.7, "wow, what a day"),
)


def synthetic_mood_texts(count: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [
        mood_text_for_track(
            name=f"Song {index}",
            artists=[f"Artist {index % 500}"],
            genre=GENRES[index % len(GENRES)],
            valence=float(rng.random()),
            energy=float(rng.random()),
            tempo=float(60 + 120 * rng.random()),
            danceability=float(rng.random()),
            acousticness=float(rng.random()),
            instrumentalness=float(rng.random() ** 3),
            speechiness=float(rng.random() ** 3),
        )
        for index in range(count)
    ]


def percentiles_ms(call: Callable[[int], object], runs: int) -> tuple[float, float]:
    timings = []
    for index in range(runs):
        start = time.perf_counter()
        call(index)
        timings.append((time.perf_counter() - start) * 1000)
    quantiles = statistics.quantiles(timings, n=20)
    return statistics.median(timings), quantiles[18]


def bench_embeddings(rows: list[tuple[str, str]]) -> None:
    # Numbered texts are all distinct, so embed_texts cannot skip duplicates here.
    texts = [f"{text} {index}" for index, text in enumerate(synthetic_mood_texts(2000))]
    embed_texts(texts[:64])  # load the model outside the timing
    _, tokenizer = embeddings._load()
    tokens = statistics.mean(len(encoding.ids) for encoding in tokenizer.encode_batch(texts))
    start = time.perf_counter()
    embed_texts(texts)
    elapsed = time.perf_counter() - start
    rows.append(
        (f"embed 2,000 distinct mood texts (~{tokens:.0f} tokens)", f"{len(texts) / elapsed:,.0f} texts/s")
    )
    queries = [mood_query_text(*MOODS[index % len(MOODS)]) + f" #{index}" for index in range(200)]
    p50, p95 = percentiles_ms(lambda index: embed_text(queries[index]), len(queries))
    rows.append(("embed one query (p50 / p95)", f"{p50:.1f} / {p95:.1f} ms"))


def bench_served_against_packaged(rows: list[tuple[str, str]]) -> None:
    """CPU per pass of the served encoder against the packaged one it is built from, and how
    close their vectors are (one text a pass, on one thread, as a chat turn runs it)."""
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    packaged = ort.InferenceSession(str(packaged_model_path()), sess_options=options)
    served, tokenizer = embeddings._load()
    messages = [f"{mood_query_text(*MOODS[index % len(MOODS)])} #{index}" for index in range(200)]
    chat = ["I'm stressed, play something calm", "music for the gym please", "I feel a bit down today"]
    texts = [*chat * 20, *messages]
    ids = [np.asarray([encoding.ids], dtype=np.int64) for encoding in tokenizer.encode_batch(texts)]

    def vectors(session: ort.InferenceSession) -> tuple[np.ndarray, float]:
        out = []
        began = time.process_time()
        for row in ids:
            feeds = {
                "input_ids": row,
                "attention_mask": np.ones_like(row),
                "token_type_ids": np.zeros_like(row),
            }
            out.append(session.run(["last_hidden_state"], feeds)[0][0].mean(axis=0))
        cpu = (time.process_time() - began) * 1000 / len(ids)
        matrix = np.stack(out)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True), cpu

    vectors(served)  # warm both
    vectors(packaged)
    new, new_cpu = vectors(served)
    old, old_cpu = vectors(packaged)
    cosine = (new * old).sum(axis=1)
    tokens = statistics.mean(row.shape[1] for row in ids)
    rows.append((f"CPU a pass, ~{tokens:.0f} tokens: packaged (fp32 math)", f"{old_cpu:.2f} ms"))
    rows.append(("CPU a pass: served (int8 per channel)", f"{new_cpu:.2f} ms"))
    rows.append(("cosine served vs packaged (median / min)", f"{np.median(cosine):.4f} / {cosine.min():.4f}"))


def bench_pgvector(rows: list[tuple[str, str]]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "personalais.settings.dev")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.db import connection, transaction
    from pgvector.django import CosineDistance

    from recommender.models import TrackProfile

    profiles = TrackProfile.objects.filter(embedding__isnull=False)
    total = profiles.count()
    if not total:
        rows.append(("pgvector", "skipped: no embedded TrackProfiles in this database"))
        return
    rows.append(("embedded TrackProfiles", f"{total:,}"))
    vectors = embed_texts(
        [mood_query_text(*MOODS[index % len(MOODS)]) + f" #{index}" for index in range(100)]
    )

    def nearest(vector: np.ndarray, limit: int, ef_search: int, exact: bool = False) -> list[int]:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL hnsw.ef_search = %s", [ef_search])
            if exact:
                cursor.execute("SET LOCAL enable_indexscan = off")
            ordered = profiles.order_by(CosineDistance("embedding", vector))
            return list(ordered.values_list("track_id", flat=True)[:limit])

    nearest(vectors[0], 10, 40)

    def query(limit: int, ef_search: int) -> Callable[[int], object]:
        return lambda index: nearest(vectors[index], limit, ef_search)

    for limit, ef_search in ((10, 40), (200, 200)):
        p50, p95 = percentiles_ms(query(limit, ef_search), 100)
        rows.append((f"HNSW top-{limit}, ef_search {ef_search} (p50 / p95)", f"{p50:.1f} / {p95:.1f} ms"))
    p50, p95 = percentiles_ms(lambda index: nearest(vectors[index], 10, 40, exact=True), 20)
    rows.append(("exact top-10, no index (p50 / p95)", f"{p50:.1f} / {p95:.1f} ms"))
    hits = [
        len(set(nearest(vector, 10, 40)) & set(nearest(vector, 10, 40, exact=True))) / 10
        for vector in vectors[:20]
    ]
    rows.append(("HNSW recall@10 vs exact, ef_search 40", f"{statistics.mean(hits):.3f}"))


def _demo_tracks() -> tuple[list[dict], dict[str, str]]:
    from catalog.demo_files import catalog_file_read

    catalog = catalog_file_read(Path(__file__).resolve().parent.parent / "demo" / "catalog.json.gz")
    artists = {artist["id"]: artist["name"] for artist in catalog["artists"]}
    return [track for track in catalog["tracks"] if track["valence"] is not None], artists


RETRIEVAL_GENRE_QUERIES = (
    ("joy", 0.7, 0.6, "some happy latin music", {"latin", "brazilian"}),
    ("calm", 0.4, -0.6, "relaxing jazz please", {"jazz"}),
    ("sadness", -0.6, -0.5, "sad classical piano", {"classical"}),
    ("anger", -0.6, 0.8, "angry punk or metal", {"punk", "metal", "rock"}),
    ("energize", 0.6, 0.8, "electronic music for a workout", {"electronic"}),
    ("calm", 0.3, -0.5, "lofi beats to study", {"lofi"}),
)
RETRIEVAL_MOODS = (
    *MOODS,
    ("calm", 0.4, -0.7, "help me unwind after work"),
    ("energize", 0.6, 0.8, "pump me up for the gym"),
)


def bench_retrieval(rows: list[tuple[str, str]], top: int = 50) -> None:
    tracks, artists = _demo_tracks()
    valence = np.array([track["valence"] for track in tracks])
    energy = np.array([track["energy"] for track in tracks])
    genres = np.array([track["genre"] for track in tracks])
    features = ("valence", "energy", "tempo", "danceability", "acousticness", "instrumentalness")
    texts = [
        mood_text_for_track(
            genre=track["genre"],
            subgenre=track["subgenre"],
            speechiness=track["speechiness"],
            liveness=track["liveness"],
            **{name: track[name] for name in features},
        )
        for track in tracks
    ]
    titled = [
        f"{track['name']} by {', '.join(artists[i] for i in track['artist_ids'])}. {text}"
        for track, text in zip(tracks, texts, strict=True)
    ]
    for label, variant in (("as written", texts), ("with title and artists", titled)):
        vectors = embed_texts(variant)
        distances, precisions = [], []
        for mood, mood_valence, arousal, said, *wanted in (*RETRIEVAL_MOODS, *RETRIEVAL_GENRE_QUERIES):
            query = embed_text(mood_query_text(mood, mood_valence, arousal, said))
            best = np.argsort(-(vectors @ query))[:top]
            region = target_region(mood_valence, arousal)
            distances.append(np.hypot(valence[best] - region.valence, energy[best] - region.energy).mean())
            if wanted:
                precisions.append(np.isin(genres[best], list(wanted[0])).mean())
        rows.append(
            (
                f"demo retrieval, texts {label}",
                f"V/E distance@{top} {np.mean(distances):.3f}, genre prec.@{top} {np.mean(precisions):.2f}",
            )
        )


def bench_refresh(rows: list[tuple[str, str]]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "personalais.settings.dev")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from recommender.models import TrackProfile
    from recommender.profiles import track_profiles_refresh

    embed_text("warm up")
    TrackProfile.objects.update(text_hash="")
    start = time.perf_counter()
    count = track_profiles_refresh()
    elapsed = time.perf_counter() - start
    rows.append(
        ("track_profiles_refresh, whole catalog", f"{count:,} tracks, {count / elapsed:,.0f} tracks/s")
    )


def main() -> None:
    rows: list[tuple[str, str]] = [("passes run at once for a batch", str(PARALLEL_PASSES))]
    bench_embeddings(rows)
    bench_served_against_packaged(rows)
    if "--retrieval" in sys.argv:
        bench_retrieval(rows)
    if "--refresh" in sys.argv:
        bench_refresh(rows)
    try:
        bench_pgvector(rows)
    except Exception as exc:  # a bench without a database still reports the model figures
        rows.append(("pgvector", f"skipped: {type(exc).__name__}: {exc}"[:100]))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")


if __name__ == "__main__":
    main()

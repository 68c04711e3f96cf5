from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from mood import emotion_model, encoder_build
from mood import encoder as embeddings
from mood.encoder import DIMENSIONS, embed_text, embed_texts
from mood.encoder_build import fuse_attention, served_model_path


def test_it_returns_unit_float32_vectors_in_input_order():
    texts = ["a much longer sentence about a quiet piano piece for a rainy evening", "rock", "jazz at night"]

    vectors = embed_texts(texts)

    assert vectors.shape == (3, DIMENSIONS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    for text, vector in zip(texts, vectors, strict=True):
        np.testing.assert_allclose(embed_text(text), vector, atol=1e-4)


def test_it_returns_an_empty_matrix_for_no_texts():
    assert embed_texts([]).shape == (0, DIMENSIONS)


def test_it_places_a_sad_song_nearer_a_ballad_than_a_workout():
    sad, ballad, metal = embed_texts(
        ["sad slow acoustic song", "melancholic ballad", "aggressive metal workout"]
    )

    assert sad @ ballad > sad @ metal + 0.2


def test_it_truncates_long_texts_instead_of_failing():
    vector = embed_text("very " * 1000 + "long")

    assert vector.shape == (DIMENSIONS,)


def test_it_loads_the_model_once_across_threads():
    with ThreadPoolExecutor(max_workers=4) as pool:
        loaded = list(pool.map(lambda _: embeddings._load(), range(8)))

    assert all(model is loaded[0] for model in loaded)


def test_a_text_gets_the_same_vector_whatever_shares_its_call():
    # Activations are quantised per pass: batched with a long text, a short one's vector would
    # shift. Every text runs alone, so the vectors are the same bit for bit.
    texts = [
        "calm piano",
        "loud drums and shouting",
        "calm piano",
        "a much longer text about calm piano music at night, " * 6,
    ]

    vectors = embed_texts(texts)

    assert (vectors[0] == vectors[2]).all()
    assert (embed_texts(["calm piano"])[0] == vectors[0]).all()
    assert (embed_texts(texts[::-1])[::-1] == vectors).all()


def test_the_served_model_multiplies_in_int8():
    import onnx  # the build's dependency; only this test reads the graph

    embeddings._load()
    graph = onnx.load(served_model_path()).graph
    operations = {node.op_type for node in graph.node}

    assert "MatMulInteger" in operations or "DynamicQuantizeMatMul" in operations
    # Every weight matrix is quantised per output channel (one scale per column).
    scales = [
        i for i in graph.initializer if i.name.endswith("_scale") and len(i.dims) == 1 and i.dims[0] > 1
    ]
    assert len(scales) >= 36


PHRASE = "calm, soft, relaxed, peaceful. slow."
WORDS = (
    "I want to relax and unwind after a long day",
    "play me some jazz for the evening",
    "I'm pumped, heading to the gym right now!",
)


def test_a_phrase_and_words_point_where_the_whole_text_does():
    for words in WORDS:
        joined = embeddings.embed_phrase_and_words(PHRASE, words)
        whole = embed_text(f"{PHRASE} {words}")

        assert joined.dtype == np.float32
        assert abs(float(np.linalg.norm(joined)) - 1.0) < 1e-5
        assert joined @ whole > 0.85
        # Nearer the whole than either part alone: both parts carry into the query.
        assert joined @ whole > max(embed_text(PHRASE) @ whole, embed_text(words) @ whole)


def test_a_phrase_without_words_is_the_phrase_itself():
    np.testing.assert_allclose(embeddings.embed_phrase_and_words(PHRASE, ""), embed_text(PHRASE), atol=1e-4)


def test_words_the_turn_already_embedded_cost_no_second_pass(monkeypatch):
    message = "something to get me through a rainy afternoon"
    embeddings.embed_recent([message])  # the intent classifier's pass
    embeddings.embed_phrase_and_words(PHRASE, "warm up the phrase cache")
    passes: list[int] = []
    real_encode = embeddings._encode
    monkeypatch.setattr(embeddings, "_encode", lambda ids: passes.append(len(ids)) or real_encode(ids))

    embeddings.embed_phrase_and_words(PHRASE, message)

    assert passes == []


def test_the_served_model_runs_attention_fused_with_the_vectors_of_the_unfused_graph(tmp_path):
    import onnx  # the build's dependency; only these tests read graphs
    import onnxruntime as ort  # (as above)

    graph = onnx.load(served_model_path()).graph
    assert sum(node.op_type == "MultiHeadAttention" for node in graph.node) == 6  # one a layer
    assert not {"Softmax", "Transpose"} & {node.op_type for node in graph.node}
    unfused = ort.InferenceSession(
        str(encoder_build.build_served_model(tmp_path / "unfused.onnx", fuse=False))
    )
    served, tokenizer = embeddings._load()
    for text in ["I'm stressed, play something calm", "gym", "a long evening of slow jazz and rain " * 3]:
        ids = np.asarray([tokenizer.encode(text).ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        fused_states, unfused_states = (s.run(["last_hidden_state"], feeds)[0] for s in (served, unfused))
        np.testing.assert_allclose(fused_states, unfused_states, atol=2e-3)


def test_a_graph_of_another_shape_is_left_as_it_is():
    from onnx import TensorProto, helper  # the build's dependency; only these tests read graphs

    scores = helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 4])
    probabilities = helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 4])
    graph = helper.make_graph(
        [helper.make_node("Softmax", ["scores"], ["probabilities"])], "plain", [scores], [probabilities]
    )
    before = graph.SerializeToString()

    assert fuse_attention(graph) is False
    assert graph.SerializeToString() == before


def test_the_emotion_encoder_is_served_fused_with_the_committed_files_outputs():
    import onnx  # the build's dependency; only these tests read graphs
    import onnxruntime as ort  # (as above)

    path = emotion_model.ENCODER_PATH
    served = encoder_build.ensure_fused_copy(path, emotion_model.file_digest(path))
    assert served != emotion_model.ENCODER_PATH
    assert sum(node.op_type == "MultiHeadAttention" for node in onnx.load(served).graph.node) == 6
    texts = ["I'm so happy today!!", "ugh", "see you tomorrow, it was a long and tiring week at work"]
    ids = emotion_model.token_ids(texts)
    batch = np.zeros((len(ids), max(map(len, ids))), dtype=np.int64)  # padded, as batches are
    for row, row_ids in enumerate(ids):
        batch[row, : len(row_ids)] = row_ids
    feeds = {"input_ids": batch, "attention_mask": (batch != 0).astype(np.int64)}
    committed, fused = (
        ort.InferenceSession(str(path)).run(None, feeds)[0] for path in (emotion_model.ENCODER_PATH, served)
    )
    np.testing.assert_allclose(fused, committed, atol=1e-4)
    np.testing.assert_allclose(emotion_model.encode_ids(ids), committed, atol=1e-4)  # what a turn reads

"""Readers, metrics, the weights file and the served head — no database needed."""

from __future__ import annotations

import numpy as np
import pytest

from mood.emotion_data import (
    EmotionDataError,
    EmotionExample,
    normalise_text,
    read_eval_csv,
    read_goemotions,
    read_meld,
    write_eval_csv,
)
from mood.emotion_metrics import confusion_table, score_labels
from mood.emotion_model import (
    EmotionHead,
    EmotionModelUnavailable,
    feature_width,
    load_head,
    predict_proba,
    read_head,
    save_head,
)
from mood.emotion_training import (
    build_items,
    class_weights,
    held_out_split,
    make_batches,
    thin_common_comments,
)
from mood.labels import LABELS
from mood.perception import combine, lexicon_evidence, smooth

SAD, JOY, NEUTRAL = LABELS.index("sadness"), LABELS.index("joy"), LABELS.index("neutral")


def _goemotions(folder, rows, labels=("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")):
    (folder / "labels.txt").write_text("\n".join(labels) + "\n")
    path = folder / "train.tsv"
    path.write_text("".join(f"{text}\t{ids}\t{row_id}\n" for text, ids, row_id in rows))
    return path


def test_it_reads_goemotions_ids_through_labels_txt_and_splits_multi_label_rows(tmp_path):
    path = _goemotions(tmp_path, [("so glad", "3", "a1"), ("wow, ugh", "6,1", "a2")])

    split = read_goemotions(path)
    skipped = read_goemotions(path, multi_label="skip")

    assert [(e.text, e.label, e.weight, e.context) for e in split] == [
        ("so glad", "joy", 1.0, ()),
        ("wow, ugh", "surprise", 0.5, ()),
        ("wow, ugh", "disgust", 0.5, ()),
    ]
    assert [e.label for e in skipped] == ["joy"]


def test_goemotions_ids_follow_the_order_in_labels_txt(tmp_path):
    path = _goemotions(tmp_path, [("hm", "0", "x")], labels=("neutral", "joy", "anger"))

    assert read_goemotions(path)[0].label == "neutral"


def test_a_bad_goemotions_label_id_names_the_row(tmp_path):
    path = _goemotions(tmp_path, [("fine", "4", "a"), ("odd", "9", "b")])

    with pytest.raises(EmotionDataError, match="row 2"):
        read_goemotions(path)


def test_meld_rows_get_their_dialogues_earlier_turns_and_clean_text(tmp_path):
    path = tmp_path / "meld.csv"
    path.write_text(
        "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID\n"
        "1,Hi there,A,neutral,neutral,0,0\n"
        "2,I don’t know,B,Fear,negative,0,1\n"
        "3,Other dialogue,C,joy,positive,1,0\n"
        "4,Yeah… sure,A,neutral,neutral,0,2\n",
        encoding="utf-8",
    )

    examples = read_meld(path)

    assert [e.label for e in examples] == ["neutral", "fear", "joy", "neutral"]
    assert examples[1].text == "I don't know"
    assert examples[2].context == ()
    assert examples[3].context == ("Hi there", "I don't know")
    assert examples[3].text == "Yeah... sure"


def test_normalising_repairs_cp1252_mojibake_and_folds_quotes():
    assert normalise_text("Iâ€™m  here") == "I'm here"
    assert normalise_text("“quoted” — yes") == '"quoted" - yes'


def test_the_eval_csv_orders_context_by_turn_and_round_trips(tmp_path):
    path = tmp_path / "eval.csv"
    path.write_text("dialogue_id,turn,text,label\nd1,1,second,joy\nd1,0,first,neutral\nd2,0,alone,Sadness\n")

    examples = read_eval_csv(path)
    out = tmp_path / "again.csv"
    write_eval_csv(examples, out)

    assert [(e.text, e.context, e.label) for e in examples] == [
        ("second", ("first",), "joy"),
        ("first", (), "neutral"),
        ("alone", (), "sadness"),
    ]
    assert [(e.text, e.context) for e in read_eval_csv(out)] == [(e.text, e.context) for e in examples]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("dialogue_id,text,label\nd,hi,joy\n", "missing columns \\['turn'\\]"),
        ("dialogue_id,turn,text,label\nd,0,hi,joy\nd,1,meh,bored\n", "row 3: unknown label 'bored'"),
        ("dialogue_id,turn,text,label\nd,first,hi,joy\n", "row 2: turn 'first'"),
    ],
)
def test_a_bad_eval_csv_says_what_and_where(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)

    with pytest.raises(EmotionDataError, match=message):
        read_eval_csv(path)


def test_a_missing_file_is_an_emotion_data_error(tmp_path):
    with pytest.raises(EmotionDataError, match="no such file"):
        read_eval_csv(tmp_path / "absent.csv")


def test_scores_match_a_hand_count():
    gold = ["joy", "joy", "sadness", "neutral"]
    predicted = ["joy", "sadness", "sadness", "neutral"]

    scores = score_labels(gold, predicted)

    assert scores.accuracy == pytest.approx(0.75)
    # joy: P=1 R=.5 → 2/3; sadness: P=.5 R=1 → 2/3; neutral: 1.
    assert scores.per_class_f1["joy"] == pytest.approx(2 / 3)
    assert scores.macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert scores.weighted_f1 == pytest.approx((2 * 2 / 3 + 2 / 3 + 1) / 4)
    assert scores.confusion[JOY, SAD] == 1
    assert scores.confusion.sum() == 4
    assert confusion_table(scores).splitlines()[0].startswith("gold \\ predicted")


def test_the_held_out_split_keeps_dialogues_whole_and_depends_only_on_the_seed():
    examples = [
        EmotionExample(f"t{d}-{u}", (), "neutral", group=str(d), source="meld")
        for d in range(20)
        for u in range(3)
    ]

    train, held = held_out_split(examples, seed=3)
    again, _ = held_out_split(examples, seed=3)

    assert {e.group for e in train}.isdisjoint({e.group for e in held})
    assert len({e.group for e in held}) == 3  # 15% of MELD's dialogues
    assert train == again


def test_sqrt_class_weights_favour_rare_labels_and_average_one():
    labels = np.array([NEUTRAL] * 90 + [SAD] * 10)
    weights = class_weights(labels, np.ones(100), 0.5)

    assert weights[SAD] == pytest.approx(3 * weights[NEUTRAL])
    assert (weights[labels]).mean() == pytest.approx(1.0)


def _tiny_head(recipe="text"):
    rng = np.random.default_rng(0)
    layers = ((rng.standard_normal((feature_width(recipe), 4)).astype(np.float32), np.zeros(4, np.float32)),)
    layers += ((rng.standard_normal((4, len(LABELS))).astype(np.float32), np.zeros(len(LABELS), np.float32)),)
    return EmotionHead(layers, recipe, {"combination": {"neutral_bias": 0.5}})


def test_a_saved_head_reads_back_with_its_metadata(tmp_path):
    head = _tiny_head()
    path = save_head(head, tmp_path / "head.npz")

    again = read_head(path)

    assert again.recipe == "text"
    assert again.metadata["labels"] == list(LABELS)
    assert again.setting("neutral_bias", 0.0) == 0.5
    features = np.ones((2, feature_width("text")), np.float32)
    assert np.allclose(again.proba(features), head.proba(features), atol=2e-2)


def test_a_missing_or_foreign_weights_file_is_reported(tmp_path):
    with pytest.raises(EmotionModelUnavailable):
        read_head(tmp_path / "none.npz")
    path = save_head(_tiny_head(), tmp_path / "head.npz")
    data = dict(np.load(path))
    data["metadata"] = np.array(str(data["metadata"]).replace('"anger"', '"rage"'))
    np.savez(path, **data)
    with pytest.raises(EmotionModelUnavailable, match="label order"):
        read_head(path)


def test_the_committed_head_loads_once_and_gives_a_distribution_per_message():
    assert load_head() is load_head()

    proba = predict_proba(["I am thrilled", "ok"], [[], ["hello", "how are you"]])

    assert proba.shape == (2, len(LABELS))
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert proba[0].argmax() == JOY


def test_a_negated_mood_word_is_evidence_against_its_label():
    assert lexicon_evidence("I'm sad")[SAD] > 0
    assert lexicon_evidence("I'm not sad")[SAD] < 0
    assert lexicon_evidence("not happy at all")[JOY] < 0 < lexicon_evidence("not happy at all")[SAD]
    # Negation stops at the clause: "not tired, but happy" is happy.
    assert lexicon_evidence("not tired, but happy")[JOY] > 0


def test_smoothing_carries_the_previous_mood_into_a_neutral_message_only():
    head = np.array([[0.1, 0.0, 0.0, 0.0, 0.9, 0.0, 0.0], [0.0, 0.0, 0.0, 0.9, 0.1, 0.0, 0.0]])
    now = combine(head, np.zeros_like(head), lexicon_weight=1.0, neutral_bias=0.0)
    previous = np.tile(np.eye(len(LABELS))[SAD], (2, 1))

    mixed = smooth(now, previous, 0.5)

    assert mixed[0, SAD] == pytest.approx(0.45, abs=1e-3)
    assert mixed[1, SAD] < 0.06
    assert np.allclose(smooth(now, np.zeros_like(now), 0.5), now)


def _dialogue(group, labels, source="meld"):
    turns = [f"{group} line {n}" for n in range(len(labels))]
    return [
        EmotionExample(text, tuple(turns[:n]), label, group=group, source=source)
        for n, (text, label) in enumerate(zip(turns, labels, strict=True))
    ]


def test_items_link_each_utterance_to_the_two_before_it_and_merge_multi_label_comments():
    examples = [
        *_dialogue("d1", ["neutral", "joy", "joy", "sadness"]),
        EmotionExample("wow, ugh", (), "surprise", 0.5, "c1", "goemotions"),
        EmotionExample("wow, ugh", (), "disgust", 0.5, "c1", "goemotions"),
    ]

    items = build_items(examples, meld_weight=2.0)

    assert [item.previous for item in items[:4]] == [(), (0,), (0, 1), (1, 2)]
    assert [item.weight for item in items] == [2.0] * 4 + [1.0]
    comment = items[4]
    assert comment.target[LABELS.index("surprise")] == pytest.approx(0.5)
    assert comment.target[LABELS.index("disgust")] == pytest.approx(0.5)
    assert comment.ids[0] == 101 and comment.ids[-1] == 102  # [CLS] … [SEP]


def test_batches_keep_dialogues_whole_and_cover_every_item_once():
    examples = [e for d in range(9) for e in _dialogue(f"d{d}", ["neutral"] * (3 + d % 4))]
    examples += [
        EmotionExample(f"comment {n} " + "word " * n, (), "joy", 1.0, f"c{n}", "goemotions")
        for n in range(40)
    ]
    items = build_items(examples, meld_weight=1.0)

    batches = make_batches(items, 8, np.random.default_rng(0))

    assert sorted(index for batch in batches for index in batch) == list(range(len(items)))
    for batch in batches:
        units = {items[index].unit for index in batch}
        assert all(items[p].unit in units for index in batch for p in items[index].previous)
        assert all(p in batch for index in batch for p in items[index].previous)
    assert make_batches(items, 8, np.random.default_rng(0)) == batches
    assert make_batches(items, 8, np.random.default_rng(1)) != batches


def test_thinning_drops_only_joy_or_neutral_comments_and_keeps_the_rest():
    examples = [
        EmotionExample(f"c{n}", (), "joy" if n % 2 else "neutral", 1.0, f"c{n}", "goemotions")
        for n in range(100)
    ]
    examples += [EmotionExample("f", (), "fear", 1.0, "rare", "goemotions")]
    examples += _dialogue("d", ["joy", "neutral"])

    kept = thin_common_comments(examples, share=0.3, seed=1)

    assert sum(e.source == "goemotions" and e.label != "fear" for e in kept) == 30
    assert any(e.label == "fear" for e in kept)
    assert sum(e.source == "meld" for e in kept) == 2
    assert thin_common_comments(examples, share=0.3, seed=1) == kept

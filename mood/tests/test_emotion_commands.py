"""train_emotion, eval_emotion and export_emotion_csv on tiny corpora written to a temp dir."""

from __future__ import annotations

import re
import sys
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from mood.emotion_model import ENCODER_PATH, WEIGHTS_PATH, load_head, predict_proba, read_head
from mood.labels import LABELS

PHRASES = {
    "anger": "this makes me so angry",
    "disgust": "that is gross and disgusting",
    "fear": "I am scared and nervous",
    "joy": "what a happy wonderful day",
    "neutral": "we meet at noon on tuesday",
    "sadness": "I feel sad and lonely",
    "surprise": "whoa I did not expect that",
}


@pytest.fixture
def data_dir(tmp_path):
    """GoEmotions- and MELD-shaped files: 70 comments, 12 dialogues of 5 turns."""
    root = tmp_path / "data"
    ekman, meld = root / "goemotions" / "ekman", root / "meld"
    ekman.mkdir(parents=True)
    meld.mkdir()
    (ekman / "labels.txt").write_text("\n".join(LABELS) + "\n")
    rows = [
        f"{PHRASES[label]} number {n}\t{i}\tc{i}-{n}\n" for n in range(10) for i, label in enumerate(LABELS)
    ]
    rows.append(f"{PHRASES['joy']} and {PHRASES['surprise']}\t3,6\tmulti\n")
    for split in ("train", "test"):
        (ekman / f"{split}.tsv").write_text("".join(rows))
    header = "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID\n"
    lines = [
        f"{d * 5 + u},{PHRASES[LABELS[(d + u) % 7]]} ok {d}-{u},S,{LABELS[(d + u) % 7]},x,{d},{u}\n"
        for d in range(12)
        for u in range(5)
    ]
    for split in ("train", "dev"):
        (meld / f"{split}_sent_emo.csv").write_text(header + "".join(lines))
    return root


def _train(data_dir, out, seed="7"):
    stdout = StringIO()
    call_command(
        "train_emotion",
        "--data-dir", str(data_dir),
        "--out", str(out),
        "--limit", "60",
        "--max-steps", "2",
        "--batch-size", "8",
        "--seed", seed,
        stdout=stdout,
    )  # fmt: skip
    return stdout.getvalue()


def test_training_writes_a_served_model_and_the_same_seed_gives_the_same_head(data_dir, tmp_path):
    pytest.importorskip("torch", reason="training extras (requirements-train.txt) are not installed")
    first = _train(data_dir, tmp_path / "a" / "head.npz")
    _train(data_dir, tmp_path / "b" / "head.npz")

    head = read_head(tmp_path / "a" / "head.npz")
    a, b = (np.load(tmp_path / name / "head.npz") for name in ("a", "b"))
    assert f"Wrote {tmp_path / 'a' / ENCODER_PATH.name}" in first
    assert head.metadata["labels"] == list(LABELS)
    assert head.metadata["seed"] == 7
    assert head.metadata["training_data"]["examples"]["by_source"] == {"goemotions": 60, "meld": 60}
    assert set(head.metadata["combination"]) == {"lexicon_weight", "neutral_bias", "smoothing"}
    assert all(np.array_equal(a[name], b[name]) for name in a.files if name != "metadata")
    encoders = [(tmp_path / name / ENCODER_PATH.name).read_bytes() for name in ("a", "b")]
    assert encoders[0] == encoders[1]
    assert (tmp_path / "a" / ENCODER_PATH.name).stat().st_size < 30 * 2**20
    proba = predict_proba(["so happy"], head=head)
    assert proba.shape == (1, len(LABELS))


def test_training_without_torch_says_how_to_install_the_extras(data_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as if it were not installed

    with pytest.raises(CommandError, match=r"pip install -r requirements-train\.txt"):
        _train(data_dir, tmp_path / "head.npz")


def test_calibrating_without_data_says_which_file_is_missing(tmp_path):
    # --calibrate-only: the same data readers as training, without needing the training extras.
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "train_emotion", "--calibrate-only", "--data-dir", str(tmp_path), "--out", str(tmp_path / "x.npz")
        )


def test_calibrating_again_keeps_the_model_and_rewrites_only_the_combination(data_dir, tmp_path):
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / ENCODER_PATH.name).symlink_to(ENCODER_PATH)
    out = folder / WEIGHTS_PATH.name
    out.write_bytes(WEIGHTS_PATH.read_bytes())
    printed = StringIO()

    call_command(
        "train_emotion", "--calibrate-only", "--data-dir", str(data_dir), "--out", str(out), stdout=printed
    )

    again, served = read_head(out), load_head()
    assert "Calibrated:" in printed.getvalue()
    assert np.array_equal(again.layers[0][0], served.layers[0][0])
    assert set(again.metadata["combination"]) == {"lexicon_weight", "neutral_bias", "smoothing"}
    assert again.metadata["encoder_sha256"] == served.metadata["encoder_sha256"]


def test_export_skips_multi_label_rows_and_eval_prints_figures_that_add_up(data_dir, tmp_path):
    csv_path = tmp_path / "go.csv"
    out = StringIO()
    call_command(
        "export_emotion_csv",
        "--split",
        "goemotions-test",
        "--data-dir",
        str(data_dir),
        "--out",
        str(csv_path),
        stdout=out,
    )
    assert "Wrote 70 rows" in out.getvalue()
    assert "skipped 1 rows" in out.getvalue()

    printed = StringIO()
    call_command("eval_emotion", "--data", str(csv_path), "--model", "lexicon", stdout=printed)

    text = printed.getvalue()
    assert re.search(r"n=70\s+accuracy=\d\.\d{4}\s+macro-F1=\d\.\d{4}\s+weighted-F1=\d\.\d{4}", text)
    assert "per-class F1: anger=" in text
    matrix = text.split("(rows = gold, columns = predicted):\n")[1].splitlines()
    assert matrix[0].split()[-len(LABELS) :] == list(LABELS)
    counts = [[int(cell) for cell in line.split()[1:]] for line in matrix[1 : 1 + len(LABELS)]]
    assert [line.split()[0] for line in matrix[1 : 1 + len(LABELS)]] == list(LABELS)
    assert sum(map(sum, counts)) == 70
    assert all(sum(row) == 10 for row in counts)


def test_eval_runs_the_trained_and_combined_models_on_meld_dialogues(data_dir, tmp_path):
    csv_path = tmp_path / "meld.csv"
    call_command(
        "export_emotion_csv",
        "--split",
        "meld-dev",
        "--data-dir",
        str(data_dir),
        "--out",
        str(csv_path),
        stdout=StringIO(),
    )
    for model in ("trained", "combined"):
        printed = StringIO()
        call_command("eval_emotion", "--data", str(csv_path), "--model", model, stdout=printed)
        assert "n=60 " in printed.getvalue()
        assert f"Model: {model}" in printed.getvalue()


def test_eval_turns_a_bad_csv_into_a_command_error_that_names_the_row(tmp_path):
    bad, empty = tmp_path / "bad.csv", tmp_path / "empty.csv"
    bad.write_text("dialogue_id,turn,text,label\nd,0,hi,joy\nd,1,meh,bored\n")
    empty.write_text("dialogue_id,turn,text,label\n")

    with pytest.raises(CommandError, match="row 3: unknown label 'bored'"):
        call_command("eval_emotion", "--data", str(bad), "--model", "lexicon")
    with pytest.raises(CommandError, match="no rows"):
        call_command("eval_emotion", "--data", str(empty), "--model", "lexicon")


def test_eval_gives_a_clear_error_for_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("eval_emotion", "--data", str(tmp_path / "nowhere.csv"))


def test_eval_without_data_scores_meld_dev_and_goemotions_test_per_class(data_dir):
    printed = StringIO()

    call_command("eval_emotion", "--data-dir", str(data_dir), "--no-confusion", stdout=printed)

    text = printed.getvalue()
    assert "data: MELD dev" in text and "data: GoEmotions ekman test" in text
    assert re.search(r"n=60\s+accuracy=", text) and re.search(r"n=70\s+accuracy=", text)
    assert text.count("per-class F1: anger=") == 2
    assert "Confusion matrix" not in text

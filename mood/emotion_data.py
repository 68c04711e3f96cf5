"""Emotion corpora as plain examples: GoEmotions (Ekman TSV), MELD (CSV) and our eval CSV.

Every reader returns :class:`EmotionExample` rows with the text, the earlier turns of its
dialogue (oldest first) and one label from :data:`LABELS`. A GoEmotions comment has no
dialogue, so its context is empty.

GoEmotions rows can carry several labels (about 9% of train). For training a row with k
labels becomes k examples of weight 1/k, so the row counts once and the head learns that
the text is ambiguous; an evaluation needs one gold label per row, so there such rows are
skipped (``multi_label="skip"``) and the count skipped is reported.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .labels import LABELS

EVAL_COLUMNS = ("dialogue_id", "turn", "text", "label")
MELD_COLUMNS = ("Utterance", "Emotion", "Dialogue_ID", "Utterance_ID")


class EmotionDataError(ValueError):
    """A corpus file is missing or malformed; the message names the file and the row."""


@dataclass(frozen=True)
class EmotionExample:
    text: str
    context: tuple[str, ...]
    label: str
    weight: float = 1.0
    # The dialogue (MELD, eval CSV) or comment id (GoEmotions): held-out slices split by it.
    group: str = ""
    source: str = ""


# MELD's text went through cp1252 somewhere: "’" should be "’"; curly quotes, dashes and
# ellipses are then folded to ASCII so "don’t" and "don't" look alike to lexicon and model.
_MOJIBAKE = re.compile("[âÃ][\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")
_ASCII_FOLD = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": " - ", "…": "...", "\u00a0": " "}
)
_SPACES = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Repair cp1252 mojibake, fold typographic punctuation to ASCII, collapse whitespace."""
    if _MOJIBAKE.search(text):
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            text = text.encode("cp1252").decode("utf-8")
    return _SPACES.sub(" ", text.translate(_ASCII_FOLD)).strip()


def read_goemotions(path: str | Path, *, multi_label: str = "split") -> list[EmotionExample]:
    """Rows of a GoEmotions Ekman TSV (``text \\t ids \\t id``); ids index ``labels.txt`` beside it.

    ``multi_label``: ``split`` (one example per label, weight 1/k) or ``skip``.
    """
    if multi_label not in ("split", "skip"):
        raise ValueError("multi_label must be 'split' or 'skip'")
    path = _existing(path)
    names = _goemotions_label_names(path.parent / "labels.txt")
    examples: list[EmotionExample] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) != 3:
                raise EmotionDataError(f"{path}: row {line_number}: expected text, label ids and id")
            text, ids, comment_id = parts
            labels = _goemotions_labels(ids, names, path, line_number)
            if len(labels) > 1 and multi_label == "skip":
                continue
            for label in labels:
                examples.append(
                    EmotionExample(
                        normalise_text(text), (), label, 1.0 / len(labels), comment_id, "goemotions"
                    )
                )
    return examples


def _goemotions_label_names(path: Path) -> list[str]:
    names = [
        line.strip() for line in _existing(path).read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    unknown = sorted(set(names) - set(LABELS))
    if unknown:
        raise EmotionDataError(f"{path}: unknown labels {unknown}")
    return names


def _goemotions_labels(ids: str, names: Sequence[str], path: Path, line_number: int) -> list[str]:
    try:
        labels = [names[int(index)] for index in ids.split(",")]
    except (ValueError, IndexError) as exc:
        raise EmotionDataError(f"{path}: row {line_number}: bad label ids {ids!r}") from exc
    return list(dict.fromkeys(labels))


def read_meld(path: str | Path) -> list[EmotionExample]:
    """MELD utterances; the context is the dialogue's earlier utterances, whoever spoke them."""
    path = _existing(path)
    rows = []
    for line_number, row in _csv_rows(path, MELD_COLUMNS):
        label = _known_label(row["Emotion"], path, line_number)
        rows.append(
            (row["Dialogue_ID"], _int(row["Utterance_ID"], path, line_number), row["Utterance"], label)
        )
    return _with_context(rows, source="meld")


def read_eval_csv(path: str | Path) -> list[EmotionExample]:
    """Our eval format ``dialogue_id,turn,text,label``; turn order within a dialogue gives context."""
    path = _existing(path)
    rows = []
    for line_number, row in _csv_rows(path, EVAL_COLUMNS):
        label = _known_label(row["label"], path, line_number)
        rows.append((row["dialogue_id"], _int(row["turn"], path, line_number), row["text"], label))
    return _with_context(rows, source=path.stem)


def write_eval_csv(examples: Iterable[EmotionExample], path: str | Path) -> int:
    """Write examples in the eval format; returns the row count.

    The turn is the length of the context, which the readers make the dialogue's earlier turns.
    """
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EVAL_COLUMNS)
        for example in examples:
            writer.writerow((example.group, len(example.context), example.text, example.label))
            count += 1
    return count


def _with_context(rows: list[tuple[str, int, str, str]], *, source: str) -> list[EmotionExample]:
    """Examples in file order, each with its dialogue's earlier turns (by turn number) as context."""
    by_dialogue: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for dialogue, turn, text, _ in rows:
        by_dialogue[dialogue].append((turn, normalise_text(text)))
    for turns in by_dialogue.values():
        turns.sort(key=lambda item: item[0])
    examples = []
    for dialogue, turn, text, label in rows:
        turns = by_dialogue[dialogue]
        context = tuple(earlier for number, earlier in turns if number < turn)
        examples.append(EmotionExample(normalise_text(text), context, label, 1.0, dialogue, source))
    return examples


def _csv_rows(path: Path, required: Sequence[str]) -> Iterable[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; the header is line 1."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in required if column not in (reader.fieldnames or [])]
        if missing:
            raise EmotionDataError(f"{path}: missing columns {missing} (need {', '.join(required)})")
        for row in reader:
            if any(row.get(column) is None for column in required):
                raise EmotionDataError(f"{path}: row {reader.line_num}: too few fields")
            yield reader.line_num, row


def _known_label(value: str, path: Path, line_number: int) -> str:
    label = value.strip().lower()
    if label not in LABELS:
        raise EmotionDataError(
            f"{path}: row {line_number}: unknown label {value!r} (expected one of {', '.join(LABELS)})"
        )
    return label


def _int(value: str, path: Path, line_number: int) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise EmotionDataError(f"{path}: row {line_number}: turn {value!r} is not a whole number") from exc


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise EmotionDataError(f"{path}: no such file")
    return path

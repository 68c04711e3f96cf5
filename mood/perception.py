"""Emotion perception: a mood label with valence/arousal from what the listener writes.

Three layers, so one message neither hides nor overrules the conversation:
1. a fine-tuned MiniLM (``emotion_model``; ``manage.py train_emotion``) reads the message and,
   through their vectors, the listener's last two turns, and gives seven probabilities;
2. explicit mood words shift them (log-linear), with negation read as evidence *against*
   the word's label ("not happy at all" is not joy; "I'm not sad" is not sadness);
3. a calibrated neutral bias (everyday chat is mostly neutral), then smoothing: a message
   that reads as neutral borrows part of the previous turn's mood, while an explicit one keeps
   its own ("I'm so happy today" after a sad turn is joy).

Emoji and common slang are read as words first (``emotion_model.emotion_text``: "😢😢😢" is
"crying", "lol this slaps" is "haha this is so good"), by the model and the mood words alike.

The lexicon-only detector stays as ``mood_from_text_lexicon``, the baseline in
``manage.py eval_emotion --model lexicon`` and the fallback when the model is not installed.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np

from mood.emotion_model import EmotionHead, EmotionModelUnavailable, emotion_text, load_head, predict_proba
from mood.encoder import EmbeddingModelUnavailable, embed_recent
from mood.labels import LABEL_COORDINATES, LABELS

logger = logging.getLogger(__name__)

# A few words with a calm or excited tone move arousal without changing the label.
CALM_WORDS = {
    "calm",
    "chill",
    "relax",
    "relaxed",
    "relaxing",
    "peaceful",
    "sleepy",
    "tired",
    "quiet",
    "mellow",
}
ENERGY_WORDS = {"energetic", "pumped", "hyped", "party", "workout", "dance", "excited", "wild"}

LEXICON: dict[str, set[str]] = {
    "sadness": {
        "sad",
        "down",
        "blue",
        "depressed",
        "unhappy",
        "lonely",
        "miserable",
        "heartbroken",
        "cry",
        "crying",
        "gloomy",
        "low",
        "hurt",
        "grief",
        "grieving",
        "melancholy",
        "melancholic",
        "upset",
        "lost",
        "empty",
        "broken",
        "miss",
        "missing",
        "sorrow",
        "tearful",
        "disappointed",
        "hopeless",
    },
    "joy": {
        "happy",
        "glad",
        "great",
        "good",
        "joy",
        "joyful",
        "cheerful",
        "excited",
        "amazing",
        "awesome",
        "wonderful",
        "fantastic",
        "love",
        "loving",
        "delighted",
        "thrilled",
        "content",
        "elated",
        "fun",
        "celebrate",
        "celebrating",
        "laughing",
        "haha",
        "grateful",
        "proud",
        "blessed",
        "ecstatic",
        "upbeat",
    },
    "anger": {
        "angry",
        "mad",
        "furious",
        "annoyed",
        "irritated",
        "pissed",
        "rage",
        "hate",
        "frustrated",
        "frustrating",
        "livid",
        "outraged",
        "resent",
        "fuming",
    },
    "fear": {
        "scared",
        "afraid",
        "anxious",
        "anxiety",
        "nervous",
        "worried",
        "worry",
        "stressed",
        "stress",
        "terrified",
        "panic",
        "panicking",
        "fear",
        "uneasy",
        "overwhelmed",
        "tense",
        "dread",
    },
    "disgust": {"disgusted", "gross", "sick", "revolting", "disgusting", "nauseous", "yuck", "awful"},
    "surprise": {"surprised", "shocked", "wow", "unexpected", "astonished", "amazed", "whoa", "stunned"},
}
_WORD_TO_LABEL = {word: label for label, words in LEXICON.items() for word in words}
NEGATIONS = {
    "not",
    "no",
    "never",
    "isn't",
    "isnt",
    "don't",
    "dont",
    "didn't",
    "didnt",
    "hardly",
    "nothing",
    "aren't",
}
INTENSIFIERS = {"very", "so", "really", "extremely", "super", "totally", "too"}
_OPPOSITE = {
    "joy": "sadness",
    "sadness": "joy",
    "anger": "neutral",
    "fear": "neutral",
    "disgust": "neutral",
    "surprise": "neutral",
}
_TOKEN = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class EmotionEstimate:
    label: str
    valence: float
    arousal: float
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


NEUTRAL = EmotionEstimate("neutral", 0.0, 0.0, 0.3)


def _score_text(text: str) -> dict[str, float]:
    tokens = _TOKEN.findall(text.lower())
    scores: dict[str, float] = {}
    for index, token in enumerate(tokens):
        label = _WORD_TO_LABEL.get(token)
        if label is None:
            continue
        window = tokens[max(0, index - 3) : index]
        weight = 1.5 if any(word in INTENSIFIERS for word in window) else 1.0
        if any(word in NEGATIONS for word in window):
            label = _OPPOSITE[label]
            weight *= 0.7
        scores[label] = scores.get(label, 0.0) + weight
    return scores


def _arousal_shift(text: str) -> float:
    tokens = set(_TOKEN.findall(text.lower()))
    return 0.3 * len(tokens & ENERGY_WORDS) - 0.3 * len(tokens & CALM_WORDS)


def mood_from_text_lexicon(text: str, context: Sequence[str] = ()) -> EmotionEstimate:
    """The lexicon-only mood of ``text``; earlier listener turns (oldest first) count at half weight.

    Returns neutral with low confidence when nothing in the words signals a mood.
    """
    scores = _score_text(text)
    for previous in context[-2:]:
        for label, value in _score_text(previous).items():
            scores[label] = scores.get(label, 0.0) + 0.5 * value
    shift = _arousal_shift(text)
    if not scores:
        return EmotionEstimate("neutral", 0.0, max(-1.0, min(1.0, shift)), 0.3)
    label = max(scores, key=lambda key: scores[key])
    total = sum(scores.values())
    confidence = round(min(0.95, 0.45 + 0.5 * scores[label] / total * min(1.0, total / 1.5)), 2)
    valence, arousal = LABEL_COORDINATES[label]
    return EmotionEstimate(label, valence, max(-1.0, min(1.0, arousal + shift)), confidence)


# --- The served detector: trained head + explicit mood words + neutral bias + smoothing -----------

# Mood words that are as often about music or plans ("I love jazz", "turn it down", "sick
# beats", "the blues") count for little on their own; the head reads them in context.
_LOOSE_WORDS = {
    "good",
    "great",
    "love",
    "loving",
    "fun",
    "content",
    "down",
    "low",
    "blue",
    "lost",
    "miss",
    "missing",
    "empty",
    "broken",
    "sick",
    "awful",
    "wow",
    "amazing",
    "awesome",
    "hurt",
}
LOOSE_WEIGHT = 0.3
# ... unless framed as a feeling: "I feel down", "so lost", "I'm empty".
_FEELING_FRAME = {
    "feel",
    "feels",
    "feeling",
    "felt",
    "i'm",
    "im",
    "am",
    "so",
    "very",
    "really",
    "kinda",
    "bit",
}
# A negated mood word is evidence against its label, stronger than a plain word is for it:
# the sentence vector of "I'm not sad" still sits near "sad". The share it loses goes to
# neutral, or for joy to sadness ("not happy at all").
# The fine-tuned model reads "I don't feel sad anymore" as sadness with odds of about 90:1, so
# the penalty must be able to outweigh that.
NEGATION_PENALTY = 3.0
NEGATED_SHARE = 1.5
# "can't stop crying" and "can't help smiling" are not negations.
_NEGATION_UNDOERS = {"stop", "help", "stopped"}
# A request to the assistant with no mood in it reads as neutral ("what's the weather", "play
# some jazz"); MELD's "What?!" taught the head that questions are surprise.
_REQUEST = re.compile(
    r"^\s*(please\s+)?(play|put on|queue|recommend|suggest|find|show|give me|can you|could you|"
    r"would you|what's|what is|how about|any)\b",
    re.I,
)
REQUEST_WEIGHT = 1.0
# Everyday exchanges are neutral, but the corpora read them otherwise: MELD's surprise is mostly
# questions ("What?!", "Really?"), so "what time is it" reads as surprise; GoEmotions files thanks
# and approval under joy, so "thanks, got it" reads as joy. A question asking for something (four
# words or more, no "!") and an acknowledgement or greeting opening the message are evidence for
# neutral, as a request is; a mood word or a strong reading still outweighs it ("thanks so much!").
_PLAIN_QUESTION = re.compile(
    r"^\s*(what|when|where|who|which|how|why|did|do|does|is|are|was|were|will|would|could|can|have|has|"
    r"shall|should)\b[^!]*$",
    re.I,
)
_EVERYDAY = re.compile(
    r"^\s*(ok|okay|k|sure|alright|all right|cool|fine|right|yeah|yes|yep|no|nope|got it|noted|"
    r"thanks|thank you|thx|ty|sounds good|see you|see ya|bye|goodbye|good night|good morning|"
    r"morning|hi|hello|hey|talk soon|later)\b",
    re.I,
)
QUESTION_MIN_WORDS = 4
# "I'm so done", "fed up with it": exasperation, which neither corpus names in these words (the
# model reads "so done" as half finished, half glad).
_FED_UP = re.compile(r"\b(so|totally|completely|just) done\b|\bdone with\b|\bfed up\b", re.I)
FED_UP_WEIGHT = 1.0
_CLAUSE_TOKEN = re.compile(r"[a-z']+|[.,;:!?]")
_CLAUSE_BREAKS = {".", ",", ";", ":", "!", "?", "but", "though", "although"}
_LABEL_INDEX = {label: index for index, label in enumerate(LABELS)}
NEUTRAL_INDEX = _LABEL_INDEX["neutral"]
_COORDINATES = np.array([LABEL_COORDINATES[label] for label in LABELS], dtype=np.float64)
# Used only when a weights file carries no calibrated values.
DEFAULT_COMBINATION = {"lexicon_weight": 1.5, "neutral_bias": 0.0, "smoothing": 0.3}


def lexicon_evidence(text: str) -> np.ndarray:
    """Per-label evidence from explicit mood words, in :data:`LABELS` order (negative = against).

    A word's window is the three words before it within its clause: an intensifier there
    makes it count 1.5×, a negation turns it into evidence against its label.
    """
    text = emotion_text(text)
    tokens = _CLAUSE_TOKEN.findall(text.lower())
    evidence = np.zeros(len(LABELS), dtype=np.float64)
    if _is_everyday(text):
        evidence[NEUTRAL_INDEX] += REQUEST_WEIGHT
    if _FED_UP.search(text):
        evidence[_LABEL_INDEX["anger"]] += FED_UP_WEIGHT
    for index, token in enumerate(tokens):
        label = _WORD_TO_LABEL.get(token)
        if label is None:
            continue
        window = _clause_window(tokens, index)
        weight = 1.0
        if token in _LOOSE_WORDS and not _FEELING_FRAME & set(window):
            weight = LOOSE_WEIGHT
        if any(word in INTENSIFIERS for word in window):
            weight *= 1.5
        if _negated(window):
            evidence[_LABEL_INDEX[label]] -= NEGATION_PENALTY * max(weight, 0.5)
            evidence[_LABEL_INDEX["sadness" if label == "joy" else "neutral"]] += NEGATED_SHARE * weight
        else:
            evidence[_LABEL_INDEX[label]] += weight
    return evidence


def _is_everyday(text: str) -> bool:
    """A request, an acknowledgement or greeting, or a plain question of four words or more."""
    if _REQUEST.match(text) or _EVERYDAY.match(text):
        return True
    return bool(_PLAIN_QUESTION.match(text)) and len(text.split()) >= QUESTION_MIN_WORDS


def _clause_window(tokens: list[str], index: int) -> list[str]:
    """Up to three words before ``tokens[index]``, nearest first, stopping at a clause break."""
    window: list[str] = []
    for earlier in reversed(tokens[max(0, index - 3) : index]):
        if earlier in _CLAUSE_BREAKS:
            break
        window.append(earlier)
    return window


def _negated(window: list[str]) -> bool:
    for word in window:  # nearest first: "can't stop crying" meets "stop" before "can't"
        if word in _NEGATION_UNDOERS:
            return False
        if word in NEGATIONS or word.endswith("n't"):
            return True
    return False


def normalise_apostrophes(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


def combine(
    head_proba: np.ndarray, evidence: np.ndarray, *, lexicon_weight: float, neutral_bias: float
) -> np.ndarray:
    """Rows of probabilities: head probabilities shifted by mood-word evidence and the neutral bias."""
    logits = np.log(np.clip(head_proba, 1e-6, None)) + lexicon_weight * evidence
    logits[:, NEUTRAL_INDEX] += neutral_bias
    logits -= logits.max(axis=1, keepdims=True)
    proba = np.exp(logits)
    return proba / proba.sum(axis=1, keepdims=True)


def smooth(now: np.ndarray, previous: np.ndarray, smoothing: float) -> np.ndarray:
    """Mix in the previous turn's mood (rows of zeros: none) by ``smoothing`` × this turn's neutral share.

    A neutral-sounding message carries the mood on; an explicit one keeps its own.
    """
    has_previous = previous.sum(axis=1, keepdims=True) > 0
    weight = smoothing * now[:, NEUTRAL_INDEX : NEUTRAL_INDEX + 1] * has_previous
    return (1.0 - weight) * now + weight * previous


def mood_probabilities(
    texts: Sequence[str], contexts: Sequence[Sequence[str]], head: EmotionHead | None = None
) -> np.ndarray:
    """The served model's probabilities (n × 7, :data:`LABELS` order); contexts are oldest first.

    The previous turn is scored the same way (with its own earlier turns as context, without
    smoothing), and every text is embedded in one batch.
    """
    head = head or load_head()
    settings = {name: head.setting(name, default) for name, default in DEFAULT_COMBINATION.items()}
    previous_rows = [index for index, context in enumerate(contexts) if context]
    all_texts = list(texts) + [contexts[index][-1] for index in previous_rows]
    all_contexts = [list(context) for context in contexts] + [list(contexts[i][:-1]) for i in previous_rows]
    head_proba = predict_proba(all_texts, all_contexts, head=head)
    evidence = np.array([lexicon_evidence(text) for text in all_texts]).reshape(len(all_texts), len(LABELS))
    combined = combine(
        head_proba, evidence, lexicon_weight=settings["lexicon_weight"], neutral_bias=settings["neutral_bias"]
    )
    count = len(texts)
    previous = np.zeros((count, len(LABELS)))
    previous[previous_rows] = combined[count:]
    return smooth(combined[:count], previous, settings["smoothing"])


_fallback_logged = False
# Threads beside the callers': the sentence encoder's pass over each message (see mood_from_text).
# More than one, so listeners' turns at the same moment do not queue behind each other's vector.
_alongside = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sentence-vector")


def mood_from_text(
    text: str, context: Sequence[str] = (), *, sentence_vector: bool = True
) -> EmotionEstimate:
    """The mood in ``text`` given the listener's earlier turns (oldest first).

    Valence and arousal are the probability-weighted label coordinates (arousal moved by calm
    or energetic words); confidence is the top probability (at most 0.3 for neutral). Falls
    back to the lexicon detector, with one warning per process, when the model or its weights
    are not installed.

    With ``sentence_vector`` (the default) the message's sentence vector, which a chat turn's
    intent classifier reads next (``mood.encoder.embed_recent`` keeps it), is computed at the
    same time on the other core: the emotion model's own pass then costs the turn only what
    it adds beyond that (``bench/emotion.py`` measures it).
    """
    pending = _alongside.submit(_sentence_vector, text) if sentence_vector else None
    try:
        proba = mood_probabilities([text], [list(context)])[0]
    except (EmotionModelUnavailable, EmbeddingModelUnavailable) as exc:
        global _fallback_logged
        if not _fallback_logged:
            logger.warning("emotion model unavailable, using the lexicon: %s", exc)
            _fallback_logged = True
        return mood_from_text_lexicon(text, context)
    finally:
        if pending is not None:
            pending.result()
    return estimate_from_probabilities(proba, text)


def _sentence_vector(text: str) -> None:
    with contextlib.suppress(EmbeddingModelUnavailable):  # the intent classifier reports it itself
        embed_recent([text])


def estimate_from_probabilities(proba: np.ndarray, text: str = "") -> EmotionEstimate:
    """Label, probability-weighted valence/arousal and confidence from the 7 probabilities.

    Confidence is the top probability, except that a neutral reading never claims more than
    :data:`NEUTRAL`'s 0.3: it means "no mood heard", and callers read low confidence as
    "unsure" (a mood the listener corrected holds over it; replies stay neutral).
    """
    label = LABELS[int(np.argmax(proba))]
    valence, arousal = (proba @ _COORDINATES).tolist()
    arousal = max(-1.0, min(1.0, arousal + _arousal_shift(emotion_text(text))))
    confidence = float(proba.max())
    if label == "neutral":
        confidence = min(confidence, NEUTRAL.confidence)
    return EmotionEstimate(label, round(valence, 3), round(arousal, 3), round(confidence, 2))

"""What fusing attention saves each encoder a pass: ``python bench/fused_attention.py [--passes 400]``.

Both encoders are served with each layer's attention as one onnxruntime ``MultiHeadAttention``
node (``mood/encoder_build.py``). This builds the sentence encoder without that fusion (in a
temporary folder), then times a pass of each graph, alternating the two so that both see the
same machine state, on one thread as a chat turn runs them, at 12 and 30 tokens: the sentence
encoder fused against unfused, and the emotion encoder's fused copy against the committed file.
Prints the median CPU per pass and the largest difference between the two graphs' outputs.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# isort: split
from mood import emotion_model
from mood.encoder_build import build_served_model, ensure_fused_copy, ensure_served_model


def _session(path: Path) -> Any:
    import onnxruntime as ort  # as mood.encoder: on first use

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def compare(label: str, before: Path, after: Path, passes: int) -> None:
    sessions = (_session(before), _session(after))
    names = {entry.name for entry in sessions[0].get_inputs()}
    for tokens in (12, 30):
        ids = np.asarray([[101, *range(2000, 2000 + tokens - 2), 102]], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        feeds = {name: value for name, value in feeds.items() if name in names}
        outputs = [session.run(None, feeds)[0] for session in sessions]
        cpu: tuple[list[float], list[float]] = ([], [])
        for _ in range(passes):
            for session, times in zip(sessions, cpu, strict=True):
                began = time.thread_time()
                session.run(None, feeds)
                times.append(time.thread_time() - began)
        unfused, fused = (1000 * float(np.median(times[passes // 8 :])) for times in cpu)
        difference = float(np.abs(outputs[0] - outputs[1]).max())
        print(
            f"{label:18s} {tokens:3d} tokens   unfused {unfused:5.2f} ms   fused {fused:5.2f} ms"
            f"   ({100 * (1 - fused / unfused):4.1f}% less)   max output difference {difference:.1e}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=400, help="passes of each graph at each length (400)")
    options = parser.parse_args()
    print("command:", " ".join([".venv/bin/python", *sys.argv]))
    with tempfile.TemporaryDirectory() as scratch:
        unfused = build_served_model(Path(scratch) / "unfused.onnx", fuse=False)
        compare("sentence encoder", unfused, ensure_served_model(), options.passes)
    committed = emotion_model.ENCODER_PATH
    compare(
        "emotion encoder",
        committed,
        ensure_fused_copy(committed, emotion_model.file_digest(committed)),
        options.passes,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

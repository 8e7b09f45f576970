"""Checks for text data and text models: padded sequences, embeddings."""

from __future__ import annotations

from typing import Any

import numpy as np

_SIDE = {"post": "end", "pre": "start"}
_OTHER = {"post": "pre", "pre": "post"}


def pad(sequences: Any, maxlen: int, *, value: int = 0, padding: str = "post",
        truncating: str = "pre") -> np.ndarray:
    """``keras.utils.pad_sequences`` with the given settings."""
    from keras.utils import pad_sequences

    return pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating, value=value)


def expect_padded(submission: Any, name: str, sequences: Any, *, maxlen: int, value: int = 0,
                  padding: str = "post", truncating: str = "pre") -> np.ndarray:
    """``name`` (exported as ``array_head``) holds ``sequences`` padded by
    ``pad_sequences`` with these settings, in their original order.

    A difference in pad side, pad value or truncation side is named in the
    message. Returns the expected padded array.
    """
    stats, head = submission.array_head(name)
    shape = (len(sequences), maxlen)
    assert tuple(stats["shape"]) == shape, (
        f"`{name}` has shape {tuple(stats['shape'])}; padded to {maxlen} words each, its {len(sequences)} "
        f"sequences make an array of shape {shape} (use maxlen={maxlen}).")
    assert np.dtype(stats["dtype"]).kind in "iu", (
        f"`{name}` holds {stats['dtype']} values; keep the word indices as integers (pad_sequences does).")
    expected = pad(sequences, maxlen, value=value, padding=padding, truncating=truncating)
    if not np.array_equal(head, expected[: len(head)]):
        raise AssertionError(_padding_difference(name, head, sequences[: len(head)], maxlen, value,
                                                 padding, truncating))
    assert np.isclose(stats["mean"], float(expected.mean()), rtol=0, atol=1e-9) and (
        stats["min"], stats["max"]) == (expected.min(), expected.max()), (
        f"The first rows of `{name}` are padded right, but later rows are not; pad every sequence the same "
        "way and keep them in their original order.")
    return expected


def padding_settings(head: np.ndarray, rows: Any, maxlen: int, *, value: int = 0, padding: str = "post",
                     truncating: str = "pre") -> dict | None:
    """The ``pad_sequences`` settings (``padding``, ``truncating``, ``value``)
    that turn ``rows`` into ``head``, trying the asked-for ones first; ``None``
    when no change of side or fill value explains ``head``."""
    head = np.asarray(head)
    if head.ndim != 2 or head.shape != (len(rows), maxlen):
        return None
    short = [i for i, row in enumerate(rows) if len(row) < maxlen]
    ends = {int(head[short[0], 0]), int(head[short[0], -1])} if short else set()
    fills = [value, *sorted(ends - {value})]
    for side in (padding, _OTHER[padding]):
        for cut in (truncating, _OTHER[truncating]):
            for fill in fills:
                if np.array_equal(head, pad(rows, maxlen, value=fill, padding=side, truncating=cut)):
                    return {"padding": side, "truncating": cut, "value": fill}
    return None


def _padding_difference(name: str, head: np.ndarray, rows: Any, maxlen: int, value: int,
                        padding: str, truncating: str) -> str:
    """Say how ``head`` differs from the padding asked for, where a simple
    change of side or fill value explains it."""
    found = padding_settings(head, rows, maxlen, value=value, padding=padding, truncating=truncating)
    if found is None:
        return (f"`{name}` is not the sequences padded with pad_sequences(..., maxlen={maxlen}, "
                f"padding='{padding}', value={value}); pad the data as loaded, and keep the sequences "
                "in their original order.")
    fixes = []
    if found["padding"] != padding:
        fixes.append(f"put the filler at the {_SIDE[padding]} of each sequence, not at the "
                     f"{_SIDE[found['padding']]} (padding='{padding}')")
    if found["value"] != value:
        fixes.append(f"fill with {value}, not {found['value']} (value={value})")
    if found["truncating"] != truncating:
        keep = "last" if truncating == "pre" else "first"
        fixes.append(f"cut long sequences at the {_SIDE[truncating]}, so that each keeps its "
                     f"{keep} {maxlen} words (truncating='{truncating}')")
    return f"`{name}` is padded to the right length, but differently: " + "; ".join(fixes) + "."


def embeddings(model: Any) -> list[dict]:
    """The config of each Embedding layer of ``model``, in order."""
    return [layer.get_config() for layer in model.layers if type(layer).__name__ == "Embedding"]


def expect_embedding(model: Any, *, input_dim: int, output_dim: int) -> None:
    """The model's first Embedding layer takes ``input_dim`` indices and gives
    vectors of ``output_dim``."""
    found = embeddings(model)
    assert found, f"Your model has no Embedding layer; start it with keras.layers.Embedding({input_dim}, {output_dim})."
    config = found[0]
    have = config["input_dim"]
    assert have >= input_dim, (
        f"Your Embedding layer has input_dim={have}, so it can look up only word indices below {have}; "
        f"the data uses indices up to {input_dim - 1}. Give it input_dim=vocab_size ({input_dim}).")
    assert have == input_dim, (
        f"Your Embedding layer has input_dim={have}; the data uses only {input_dim} different indices, so "
        f"give it input_dim=vocab_size ({input_dim}).")
    assert config["output_dim"] == output_dim, (
        f"Your Embedding layer gives vectors of {config['output_dim']} numbers (output_dim); this exercise "
        f"asks for {output_dim}.")


def expect_vocabulary_fits(model: Any, max_index: int, what: str = "the data") -> None:
    """Every Embedding layer can look up indices up to ``max_index``; otherwise
    the model cannot run on the data at all (TensorFlow stops with an error)."""
    for config in embeddings(model):
        assert config["input_dim"] > max_index, (
            f"Your model's Embedding layer has input_dim={config['input_dim']}, but the word indices in {what} "
            f"go up to {max_index}, so the model cannot run on them. Give the Embedding input_dim={max_index + 1}.")


def multi_hot(sequences: Any, dimension: int) -> np.ndarray:
    """Each sequence as a float32 row of ``dimension`` zeros with 1.0 at every
    index it holds (a bag of words: order and repeats are dropped)."""
    rows = np.zeros((len(sequences), dimension), dtype="float32")
    for row, indices in enumerate(sequences):
        rows[row, np.asarray(indices, dtype=int)] = 1.0
    return rows

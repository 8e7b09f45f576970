"""How a student's saved model crosses into the grading process. Runs in the
clean grading process.

Keras saves activation functions by name. TensorFlow's own functions that
Keras accepts (``tf.nn.softmax``, ``tf.nn.log_softmax``) are saved under
TensorFlow's internal names (``softmax_v2``), which Keras cannot load back;
they are mapped to the Keras built-ins that compute the same thing. Anything
that is truly custom (Lambda layers, the student's own classes or functions)
stays refused by ``safe_mode=True``, and :func:`custom_parts` names it.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, Iterator

# TensorFlow function name -> the Keras built-in activation it is.
TF_FUNCTIONS = {"softmax_v2": "softmax", "log_softmax_v2": "log_softmax"}


def builtin_aliases() -> dict[str, Any]:
    """custom_objects for ``keras.saving.load_model``: TensorFlow names of built-ins."""
    import keras

    return {tf_name: keras.activations.get(name) for tf_name, name in TF_FUNCTIONS.items()}


def custom_parts(path: Path) -> list[str]:
    """What in the saved model is not built into Keras, each as a phrase with
    the built-in to use instead, e.g. ``"the Lambda layer 'scale' (...)"``."""
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return []
    return list(dict.fromkeys(_describe(node) for node in _walk(config) if _describe(node)))


def _walk(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _describe(node: dict) -> str:
    import keras

    name = node.get("config", {}).get("name") if isinstance(node.get("config"), dict) else None
    if node.get("class_name") == "Lambda":
        return (f"the Lambda layer '{name}' (its code cannot be loaded safely: use a built-in layer such as "
                "Activation, Softmax, Rescaling or Reshape instead)")
    if node.get("class_name") == "function" and isinstance(node.get("config"), str):
        function = node["config"]
        if function in TF_FUNCTIONS:
            return ""
        try:
            keras.activations.get(function)
            return ""
        except (ValueError, TypeError):
            return (f"the function '{function}' (use a built-in activation such as activation='relu' "
                    "or activation='softmax' instead)")
    module, class_name = node.get("module"), node.get("class_name")
    if isinstance(module, str) and isinstance(class_name, str) and "registered_name" in node:
        if not module.startswith("keras") and module != "builtins":
            return (f"your own class {class_name} (build the model from built-in Keras layers such as Dense, "
                    "Flatten, Dropout, Activation and Softmax instead)")
    return ""

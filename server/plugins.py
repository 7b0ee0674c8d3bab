"""Load the parts listed in server/components.py."""
from __future__ import annotations

import importlib
from typing import Any

from server import components


def load(path: str) -> Any:
    """Import `module` or `module:attribute`."""
    module_name, _, attr = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


def load_models() -> None:
    for path in components.MODEL_MODULES:
        load(path)


def blueprints() -> list[Any]:
    return [load(p) for p in components.BLUEPRINTS]


def cli_commands() -> list[Any]:
    return [load(p) for p in components.CLI_COMMANDS]


def processing_steps() -> list[Any]:
    return [load(p) for p in components.PROCESSING_STEPS]

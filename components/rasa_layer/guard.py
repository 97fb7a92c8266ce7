"""What the layer checks before it changes anything, and the one way it changes a Rasa attribute.

Each change names its targets (a class or module, an attribute, the parameters it must have). Before any
of them is applied, the installed Rasa and Rasa SDK must be the versions the layer was written for, and every
target must exist with those parameters; otherwise Rasa stops at start-up with RasaLayerError naming the
target, instead of a change silently doing nothing (or the wrong thing) over code that moved.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, Dict, Iterable, Optional, Tuple

RASA_VERSION = "3.6.21"
RASA_SDK_SERIES = "3.6."


class RasaLayerError(RuntimeError):
    """Rasa is not what the layer was written for: a version, or a target that is missing or changed."""


@dataclass(frozen=True)
class Target:
    """`owner.name`, a function (or class) whose parameters must be `parameters`, in order; with
    `parameters` None only its existence is checked (a class, or a module attribute)."""

    owner: Any
    name: str
    parameters: Optional[Tuple[str, ...]] = None

    @property
    def qualified_name(self) -> str:
        owner = getattr(self.owner, "__qualname__", None) or self.owner.__name__
        module = getattr(self.owner, "__module__", None)
        return f"{module}.{owner}.{self.name}" if module and module != owner else f"{owner}.{self.name}"


def check_versions(rasa_version: Optional[str] = None, sdk_version: Optional[str] = None) -> None:
    rasa_version = rasa_version or version("rasa")
    sdk_version = sdk_version or version("rasa-sdk")
    if rasa_version != RASA_VERSION:
        raise RasaLayerError(
            f"components/rasa_layer was written for Rasa {RASA_VERSION}, and Rasa {rasa_version} is "
            "installed: check each change against the new Rasa, then update RASA_VERSION"
        )
    if not sdk_version.startswith(RASA_SDK_SERIES):
        raise RasaLayerError(
            f"components/rasa_layer was written for Rasa SDK {RASA_SDK_SERIES}x, and Rasa SDK {sdk_version} "
            "is installed: check each change against it, then update RASA_SDK_SERIES"
        )


def _raw(owner: Any, name: str) -> Any:
    """The attribute as defined (a staticmethod stays one), from the class that defines it."""
    for klass in inspect.getmro(owner) if inspect.isclass(owner) else ():
        if name in vars(klass):
            return vars(klass)[name]
    return getattr(owner, name)


def check_targets(targets: Iterable[Target]) -> None:
    for target in targets:
        if not hasattr(target.owner, target.name):
            raise RasaLayerError(f"{target.qualified_name} is missing: Rasa has changed, so must the layer")
        if target.parameters is None:
            continue
        found = _original(target.owner, target.name)
        function = found.__func__ if isinstance(found, staticmethod | classmethod) else found
        try:
            parameters = tuple(inspect.signature(function).parameters)
        except (TypeError, ValueError) as error:
            raise RasaLayerError(f"{target.qualified_name} is no longer a function: {error}") from error
        if parameters != target.parameters:
            raise RasaLayerError(
                f"{target.qualified_name} has changed: its parameters are {parameters}, the layer was "
                f"written for {target.parameters}"
            )


# Rasa's own attribute for each one replaced, by (owner, name): for the tests and for calling through.
_originals: Dict[Tuple[int, str], Any] = {}


def _original(owner: Any, name: str) -> Any:
    key = (id(owner), name)
    return _originals[key] if key in _originals else _raw(owner, name)


def original(owner: Any, name: str) -> Any:
    """Rasa's own `owner.name` (bound as Python would bind it), whether or not the layer replaced it. A
    missing one is a function that raises: the layer's modules look theirs up on import, and `apply`'s check
    is what reports it, by name."""
    if (id(owner), name) not in _originals and not hasattr(owner, name):

        def missing(*args: Any, **kwargs: Any) -> Any:
            raise RasaLayerError(f"{Target(owner, name).qualified_name} is missing")

        return missing
    found = _original(owner, name)
    return found.__get__(None, owner) if isinstance(found, staticmethod | classmethod) else found


def replace(owner: Any, name: str, new: Any) -> None:
    """Sets `owner.name` to `new`, keeping Rasa's own for `original`. Replacing twice keeps the first."""
    _originals.setdefault((id(owner), name), _raw(owner, name))
    setattr(owner, name, new)


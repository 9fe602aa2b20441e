"""One registry per kind of plug-in: a decorator, a list function and a factory.

Usage::

    MEASUREMENTS = Registry[Measurement]("measurement")

    @MEASUREMENTS.register
    class MeanBrightness(Measurement):
        name = "brightness_mean"
        ...

    MEASUREMENTS.list()                       # ["brightness_mean", ...]
    MEASUREMENTS.create("brightness_mean")    # an instance

Duplicate names are refused at import time: two plug-ins silently shadowing
each other would make results depend on import order.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class RegistryError(KeyError):
    """A plug-in name is unknown or registered twice."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0]) if self.args else ""


class Registry(Generic[T]):
    """Name -> class mapping for one kind of plug-in.

    Parameters
    ----------
    kind : str
        Human name of the plug-in kind, used in error messages ("measurement").
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, type[T]] = {}

    def register(self, cls: type[T]) -> type[T]:
        """Class decorator: register ``cls`` under its ``name`` attribute."""
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name:
            raise RegistryError(f"{self.kind} class {cls.__qualname__} has no string `name`")
        if name in self._classes and self._classes[name] is not cls:
            other = self._classes[name]
            raise RegistryError(
                f"duplicate {self.kind} name {name!r}: {cls.__module__}.{cls.__qualname__} "
                f"and {other.__module__}.{other.__qualname__}"
            )
        self._classes[name] = cls
        return cls

    def unregister(self, name: str) -> type[T]:
        """Remove the plug-in registered under ``name`` and return its class (a test's
        throwaway plug-in, or one a user replaces on purpose)."""
        cls = self.get(name)
        del self._classes[name]
        return cls

    def list(self) -> builtins.list[str]:
        """Registered names, sorted."""
        return sorted(self._classes)

    def get(self, name: str) -> type[T]:
        """The class registered under ``name``."""
        try:
            return self._classes[name]
        except KeyError:
            known = ", ".join(self.list()) or "(none)"
            raise RegistryError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def create(self, name: str, **kwargs: Any) -> T:
        """Instantiate the plug-in registered under ``name`` with ``kwargs``."""
        return self.get(name)(**kwargs)

    def __contains__(self, name: object) -> bool:
        return name in self._classes

    def __iter__(self) -> Iterator[str]:
        return iter(self.list())

    def __len__(self) -> int:
        return len(self._classes)

    def items(self) -> builtins.list[tuple[str, type[T]]]:
        return [(n, self._classes[n]) for n in self.list()]


def registered(registry: Registry[T]) -> Callable[[type[T]], type[T]]:
    """Alias of ``registry.register`` for readability at definition sites."""
    return registry.register

"""Errors the store raises. Each names what is wrong so a CLI or server can show it verbatim."""


class StoreError(Exception):
    """Base class: anything the store refuses."""


class StoreLockedError(StoreError):
    """Another process owns the store directory (embedded Chroma is single-writer)."""


class SkillNotFoundError(StoreError, KeyError):
    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "skill not found"


class InvalidInputError(StoreError, ValueError):
    """Malformed input: nothing was written."""


class BundleError(InvalidInputError):
    """An export bundle that cannot be imported (wrong format, newer schema, bad line)."""

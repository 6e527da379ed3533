"""Arbiter's Python guest SDK: write an incentive mechanism in Python and
build it into a WebAssembly component with componentize-py.

The helpers (``rng``, ``numeric``, ``text``, ``codec``) follow
``guest-sdk/ALGORITHMS.md`` bit for bit, so a Python mechanism computes the
same bytes as the same mechanism in Rust. They are pure Python and run
natively too (``python3 -m unittest discover guest-sdk/python/tests``).
"""

from . import codec, numeric, text
from .mechanism import (
    BAD_SIGNATURE,
    MALFORMED,
    OK,
    OVERSIZED,
    REFUSED,
    TIMEOUT,
    UNREACHABLE,
    Context,
    Info,
    InvalidConfig,
    InvalidInput,
    InvalidState,
    MechanismError,
    Queries,
    Reply,
    Response,
    Responses,
    Weight,
    export,
)
from .rng import Rng

__all__ = [
    "BAD_SIGNATURE",
    "MALFORMED",
    "OK",
    "OVERSIZED",
    "REFUSED",
    "TIMEOUT",
    "UNREACHABLE",
    "Context",
    "Info",
    "InvalidConfig",
    "InvalidInput",
    "InvalidState",
    "MechanismError",
    "Queries",
    "Reply",
    "Response",
    "Responses",
    "Rng",
    "Weight",
    "codec",
    "export",
    "numeric",
    "text",
]

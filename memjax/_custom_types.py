"""Type aliases shared across memjax (in the spirit of diffrax's `_custom_types.py`)."""

from typing import TypeAlias

from jaxtyping import Array, ArrayLike, Float, Key, PyTree


Scalar: TypeAlias = Float[Array, ""]
ScalarLike: TypeAlias = float | Float[ArrayLike, ""]
Voltage: TypeAlias = Float[Array, ""]  # V
Current: TypeAlias = Float[Array, ""]  # A
Conductance: TypeAlias = Float[Array, ""]  # S
Time: TypeAlias = Float[Array, ""]  # s
PRNGKey: TypeAlias = Key[Array, ""]
State: TypeAlias = PyTree[Float[Array, ""]]

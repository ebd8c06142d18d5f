import equinox as eqx
from jaxtyping import Array, Float

from .._checks import as_float
from ..devices._base import AbstractDevice, require_in_range
from ._drives import AbstractDrive, as_drive


def _arr():
    return eqx.field(converter=as_float)


# Node indices are Python ints (structure); `GROUND` is the reference node.
GROUND = -1


class Resistor(eqx.Module):
    """A linear resistor of `resistance` (Ohm) between nodes `a` and `b`."""

    resistance: Float[Array, ""] = _arr()  # Ohm
    a: int = eqx.field(static=True)
    b: int = eqx.field(static=True, default=GROUND)

    def __check_init__(self):
        require_in_range(self.resistance, "resistance", low=0.0, unit="Ohm")


class Capacitor(eqx.Module):
    """A linear capacitor of `capacitance` (F) from `node` to ground."""

    capacitance: Float[Array, ""] = _arr()  # F
    node: int = eqx.field(static=True)

    def __check_init__(self):
        require_in_range(self.capacitance, "capacitance", low=0.0, unit="F")


class VoltageSource(eqx.Module):
    """An ideal source `drive` (V) behind a series `resistance` (Ohm), feeding `node`.

    A Thevenin source keeps the nodal equations an ODE; the series resistance is the input
    (synaptic) resistor of a neuron circuit, or the source's output impedance."""

    drive: AbstractDrive = eqx.field(converter=as_drive)  # a number (V) is wrapped as `Constant`
    resistance: Float[Array, ""] = _arr()  # Ohm
    node: int = eqx.field(static=True)

    def __check_init__(self):
        require_in_range(self.resistance, "resistance", low=0.0, unit="Ohm")


class DeviceBranch(eqx.Module):
    """A two-terminal device between nodes `a` (+) and `b` (-); `V = v_a - v_b`."""

    device: AbstractDevice
    a: int = eqx.field(static=True)
    b: int = eqx.field(static=True, default=GROUND)

    def __check_init__(self):
        if not isinstance(self.device, AbstractDevice):
            raise TypeError(f"`device` must be an `AbstractDevice`; got {type(self.device).__name__}.")

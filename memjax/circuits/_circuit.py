import equinox as eqx
import jax.numpy as jnp
import jax.tree_util as jtu
from jaxtyping import Array, Float, PyTree

from ._elements import GROUND, Capacitor, DeviceBranch, Resistor, VoltageSource


class Energy(eqx.Module):
    """Energies accumulated since the start of a solve, J.

    **Fields:**

    - `sources`: delivered by each ideal source, shape `(n_sources,)`.
    - `resistors`: dissipated in all resistors, series resistances of sources included.
    - `devices`: dissipated (Joule heat) in each device, shape `(n_devices,)`.
    """

    sources: Float[Array, " sources"]
    resistors: Float[Array, ""]
    devices: Float[Array, " devices"]


class CircuitState(eqx.Module):
    """Node voltages (V), each device's state, and the energy accumulators."""

    v: Float[Array, " nodes"]
    devices: tuple[PyTree[Float[Array, ""]], ...] | None
    energy: Energy


def _v(v, node):
    return jnp.zeros((), v.dtype) if node == GROUND else v[node]


class Circuit(eqx.Module):
    r"""A lumped circuit of grounded capacitors, resistors, Thevenin sources and devices.

    Kirchhoff's current law at every node $n$ gives the circuit ODE

    $$C_n \frac{dv_n}{dt} = \sum_{\text{branches}} i_{\to n},$$

    coupled to each device's own state equation. Every node needs a capacitance to ground
    (parasitic if need be), so the system is an ODE rather than a DAE; the device and node
    time scales make it stiff, which is why `simulate` defaults to an implicit solver.

    Use `Circuit.__call__(t, y, args)` as a diffrax vector field. The energy accumulators make
    the energy balance checkable: delivered = dissipated + stored.

    **Arguments:**

    - `n_nodes`: number of non-ground nodes, numbered `0 .. n_nodes-1` (`GROUND` is `-1`).
    - `capacitors`, `resistors`, `sources`, `devices`: tuples of elements.
    """

    n_nodes: int = eqx.field(static=True)
    capacitors: tuple[Capacitor, ...]
    resistors: tuple[Resistor, ...]
    sources: tuple[VoltageSource, ...]
    devices: tuple[DeviceBranch, ...]

    def __init__(self, n_nodes, capacitors=(), resistors=(), sources=(), devices=()):
        self.n_nodes = int(n_nodes)
        self.capacitors = tuple(capacitors)
        self.resistors = tuple(resistors)
        self.sources = tuple(sources)
        self.devices = tuple(devices)

    def __check_init__(self):
        covered = {c.node for c in self.capacitors}
        missing = set(range(self.n_nodes)) - covered
        if missing:
            raise ValueError(
                f"every node needs a capacitance to ground (> 0 F); nodes {sorted(missing)} "
                "have none. Add a (parasitic) `Capacitor` to each."
            )
        for el in (*self.resistors, *self.devices):
            for node in (el.a, el.b):
                if not (node == GROUND or 0 <= node < self.n_nodes):
                    raise ValueError(f"node index {node} not in [0, {self.n_nodes}) or GROUND.")
        for s in self.sources:
            if not 0 <= s.node < self.n_nodes:
                raise ValueError(f"source node {s.node} not in [0, {self.n_nodes}).")

    @property
    def node_capacitance(self) -> Float[Array, " nodes"]:
        """Total capacitance from each node to ground (F)."""
        dtype = jnp.result_type(*[c.capacitance for c in self.capacitors])
        c = jnp.zeros(self.n_nodes, dtype)
        for cap in self.capacitors:
            c = c.at[cap.node].add(cap.capacitance)
        return c

    def init_state(self, v0=None) -> CircuitState:
        """All devices relaxed, node voltages `v0` (default 0 V), energies zero."""
        c = self.node_capacitance
        v = jnp.zeros_like(c) if v0 is None else jnp.broadcast_to(jnp.asarray(v0, c.dtype), c.shape)
        zero = jnp.zeros((), c.dtype)
        return CircuitState(
            v=v,
            devices=self._devices_or_none(
                tuple(jtu.tree_map(lambda x: x + zero, d.device.init_state()) for d in self.devices)
            ),
            energy=Energy(
                sources=jnp.zeros(len(self.sources), c.dtype),
                resistors=zero,
                devices=jnp.zeros(len(self.devices), c.dtype),
            ),
        )

    def state_scale(self) -> CircuitState:
        """Typical magnitudes used to nondimensionalise the solve."""
        c = self.node_capacitance
        e = jnp.maximum(jnp.sum(c), 1e-30)  # J: total capacitance charged to 1 V
        return CircuitState(
            v=jnp.ones_like(c),
            devices=self._devices_or_none(tuple(d.device.state_scale() for d in self.devices)),
            energy=Energy(sources=jnp.full(len(self.sources), e), resistors=e, devices=jnp.full(len(self.devices), e)),
        )

    @staticmethod
    def _devices_or_none(states):
        # A circuit without devices stores `None`: diffrax's save buffers reject an empty tuple.
        return states if states else None

    def device_voltages(self, v) -> tuple[Float[Array, ""], ...]:
        return tuple(_v(v, d.a) - _v(v, d.b) for d in self.devices)

    def device_currents(self, y: CircuitState) -> Float[Array, " devices"]:
        """Current through each device (A), from `a` to `b`."""
        vs = self.device_voltages(y.v)
        return jnp.stack([d.device.current(s, vd) for d, s, vd in zip(self.devices, y.devices, vs)])

    def stored_energy(self, y: CircuitState) -> Float[Array, ""]:
        """Electrostatic energy in the capacitors, J."""
        return 0.5 * jnp.sum(self.node_capacitance * y.v**2)

    def __call__(self, t, y: CircuitState, args=None) -> CircuitState:
        v = y.v
        i_in = jnp.zeros_like(v)
        p_src = []
        p_res = jnp.zeros((), v.dtype)
        for s in self.sources:
            vs = s.drive(t)
            i = (vs - v[s.node]) / s.resistance
            i_in = i_in.at[s.node].add(i)
            p_src.append(vs * i)
            p_res = p_res + i**2 * s.resistance
        for r in self.resistors:
            i = (_v(v, r.a) - _v(v, r.b)) / r.resistance
            if r.a != GROUND:
                i_in = i_in.at[r.a].add(-i)
            if r.b != GROUND:
                i_in = i_in.at[r.b].add(i)
            p_res = p_res + i**2 * r.resistance
        d_dev, p_dev = [], []
        for d, s in zip(self.devices, y.devices or ()):
            vd = _v(v, d.a) - _v(v, d.b)
            i = d.device.current(s, vd)
            if d.a != GROUND:
                i_in = i_in.at[d.a].add(-i)
            if d.b != GROUND:
                i_in = i_in.at[d.b].add(i)
            d_dev.append(d.device.rate(t, s, vd))
            p_dev.append(i * vd)
        zeros = jnp.zeros((0,), v.dtype)
        return CircuitState(
            v=i_in / self.node_capacitance,
            devices=self._devices_or_none(tuple(d_dev)),
            energy=Energy(
                sources=jnp.stack(p_src) if p_src else zeros,
                resistors=p_res,
                devices=jnp.stack(p_dev) if p_dev else zeros,
            ),
        )

    def jump_ts(self):
        """Discontinuity times of all source waveforms (or `None`)."""
        jumps = [j for s in self.sources if (j := s.drive.jump_ts()) is not None]
        return jnp.sort(jnp.concatenate(jumps)) if jumps else None


def series_rc_neuron(device, *, capacitance, resistance, drive) -> Circuit:
    """The memristive LIF / oscillation neuron: `drive` -> `resistance` (Ohm) -> node, with the
    device and `capacitance` (F) in parallel from the node to ground (L. Wang et al., Fig. 3a
    and 4a). Node 0 is the membrane (capacitor) node."""
    return Circuit(
        n_nodes=1,
        capacitors=(Capacitor(capacitance, 0),),
        sources=(VoltageSource(drive, resistance, 0),),
        devices=(DeviceBranch(device, 0),),
    )

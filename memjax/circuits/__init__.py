"""Circuits: devices, resistors, capacitors and sources composed by Kirchhoff's laws."""

from ._analysis import (
    crossing_times as crossing_times,
    oscillation_period as oscillation_period,
    spike_count as spike_count,
)
from ._circuit import (
    Circuit as Circuit,
    CircuitState as CircuitState,
    Energy as Energy,
    series_rc_neuron as series_rc_neuron,
)
from ._crossbar import (
    Crossbar as Crossbar,
    CrossbarSolution as CrossbarSolution,
    differential_output as differential_output,
    differential_pair as differential_pair,
    ir_drop_estimate as ir_drop_estimate,
    lognormal_variability as lognormal_variability,
    read_noise as read_noise,
    stuck_devices as stuck_devices,
    tiled_mvm as tiled_mvm,
)
from ._drives import (
    AbstractDrive as AbstractDrive,
    Constant as Constant,
    PiecewiseLinear as PiecewiseLinear,
    PulseTrain as PulseTrain,
    as_drive as as_drive,
    triangle_sweep as triangle_sweep,
)
from ._elements import (
    GROUND as GROUND,
    Capacitor as Capacitor,
    DeviceBranch as DeviceBranch,
    Resistor as Resistor,
    VoltageSource as VoltageSource,
)
from ._ensemble import EnsembleSolution as EnsembleSolution, simulate_ensemble as simulate_ensemble
from ._noise import (
    ShotNoise as ShotNoise,
    noise_currents as noise_currents,
    simulate_sde as simulate_sde,
)
from ._simulate import (
    StageIncrementTerm as StageIncrementTerm,
    default_solver as default_solver,
    event_tolerances as event_tolerances,
    simulate as simulate,
    solve_ok as solve_ok,
)
from ._step import (
    TABLEAUX as TABLEAUX,
    StepInfo as StepInfo,
    Tableau as Tableau,
    default_newton_tol as default_newton_tol,
    step as step,
    step_path as step_path,
    zero_energy as zero_energy,
)
from ._sweep import DCSweep as DCSweep, compliance_voltage as compliance_voltage, dc_sweep as dc_sweep

"""Device models: memristors as state-space ODEs with physical parameters in SI units."""

from ._base import (
    AbstractDevice as AbstractDevice,
    AbstractThresholdSwitch as AbstractThresholdSwitch,
    fold_thresholds as fold_thresholds,
    require_in_range as require_in_range,
)
from ._consolidating import (
    ConsolidatingMemristor as ConsolidatingMemristor,
    ConsolidatingState as ConsolidatingState,
    wox_chang2011 as wox_chang2011,
)
from ._diffusive import (
    DiffusiveMemristor as DiffusiveMemristor,
    DiffusiveState as DiffusiveState,
    ag_hfo2_nanodot as ag_hfo2_nanodot,
    ag_sio2_wang2019 as ag_sio2_wang2019,
    sharvin_diameter as sharvin_diameter,
    sioxny_ag_lif as sioxny_ag_lif,
    zno_wang2022,  # noqa: F401  (deprecated alias of zno_wang2025, no `as`: diffrax convention)
    zno_wang2025 as zno_wang2025,
)
from ._ecram import ECRAM as ECRAM, ECRAMState as ECRAMState, lixwo3_tang2018 as lixwo3_tang2018
from ._filament import (
    FilamentMemristor as FilamentMemristor,
    FilamentState as FilamentState,
    OneTransistorOneResistor as OneTransistorOneResistor,
    Transistor as Transistor,
    hbn_au_ti as hbn_au_ti,
    hfo2_1t1r as hfo2_1t1r,
    hfo2_rram as hfo2_rram,
    kim2015_second_order as kim2015_second_order,
    transistor_for_compliance as transistor_for_compliance,
)
from ._interface import (
    InterfaceMemristor as InterfaceMemristor,
    InterfaceState as InterfaceState,
    pcmo_lashkare2018 as pcmo_lashkare2018,
    taox_tio2_uniform as taox_tio2_uniform,
)
from ._mott import (
    MottMemristor as MottMemristor,
    MottState as MottState,
    SwitchedMottMemristor as SwitchedMottMemristor,
    nb2o5_pt as nb2o5_pt,
    nbo2_kumar2020 as nbo2_kumar2020,
    nbo2_kumar2020_switched as nbo2_kumar2020_switched,
    nbo2_tin as nbo2_tin,
    nbox_pt as nbox_pt,
    vo2_yi2018 as vo2_yi2018,
)
from ._noise import random_telegraph as random_telegraph, read_noise as read_noise
from ._perovskite import (
    PerovskiteState as PerovskiteState,
    PerovskiteSwitch as PerovskiteSwitch,
    mapbi3_deboer2025 as mapbi3_deboer2025,
)
from ._variability import (
    cycle_to_cycle as cycle_to_cycle,
    device_to_device as device_to_device,
    perturb as perturb,
)
from ._volatile_wox import (
    VolatileMemristor as VolatileMemristor,
    VolatileState as VolatileState,
    taox_alod_dendrite as taox_alod_dendrite,
    wox_du2017 as wox_du2017,
)

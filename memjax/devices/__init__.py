"""Device models: memristors as state-space ODEs with physical parameters in SI units."""

from ._base import AbstractDevice as AbstractDevice, require_in_range as require_in_range
from ._diffusive import (
    DiffusiveMemristor as DiffusiveMemristor,
    DiffusiveState as DiffusiveState,
    zno_wang2022 as zno_wang2022,
)
from ._variability import (
    cycle_to_cycle as cycle_to_cycle,
    perturb as perturb,
    device_to_device as device_to_device,
)
from ._volatile_wox import (
    VolatileMemristor as VolatileMemristor,
    VolatileState as VolatileState,
    wox_du2017 as wox_du2017,
)

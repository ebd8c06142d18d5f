"""Fitting device parameters to measurements, with an identifiability report."""

from ._csv import read_csv as read_csv
from ._fit import FitResult as FitResult, fit as fit
from ._measurements import (
    AbstractMeasurement as AbstractMeasurement,
    IVSweep as IVSweep,
    PulseResponse as PulseResponse,
    SwitchingTimes as SwitchingTimes,
)
from ._report import (
    IdentifiabilityReport as IdentifiabilityReport,
    UnidentifiableParameterWarning as UnidentifiableParameterWarning,
)

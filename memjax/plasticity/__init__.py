"""Plasticity from device physics: pulse protocols, emergent STDP, LTP/LTD, short-term memory."""

from ._solve import diffrax_solve as diffrax_solve, implicit_euler as implicit_euler

"""Published figures of de Boer & Ehrler, Mater. Horiz. 12, 2701 (2025), and our protocols."""

PUBLISHED = {
    "mean_bias_time_s": 6.9e-3,  # Fig. S8a: exponential, mean 6.9 ms at 0.75 V
    "pulses_to_fire": (1, 3),  # Fig. 2c: a 33 Hz train fires after 1 to 3 pulses
    "energy_pJ": (20.0, 60.0),  # 1/2 C V^2 per spike (this project's acceptance range, not the paper's)
    "crossing_neurons": 11,  # Fig. 3d: stochastic error drops below deterministic at ~11 neurons
    "crossing_accept": (8, 15),
    "hrs_ohm": 1e9,  # Fig. 1b: DC sweep
    "lrs_ohm": 1e5,
    "v_threshold": 0.3,
    "recovery_s": 0.125,  # Fig. 1c: back to HRS ~125 ms after removing the bias
    "recovery_max_s": 0.5,  # never more than 500 ms over 40 measurements
}

DT = 1e-4  # s, time step (pulse widths 2, 5, 7.5 ms and periods are multiples)
SEED = 0
AMPLITUDE = 0.75  # V
# Fig. 4 / S10 protocols: (amplitude V, width s, period s)
PROTOCOLS = {
    "33Hz": (0.75, 5e-3, 30e-3),
    "50Hz": (0.75, 5e-3, 20e-3),
    "20Hz": (0.75, 5e-3, 50e-3),
    "width_2ms": (0.75, 2e-3, 30e-3),
    "width_7.5ms": (0.75, 7.5e-3, 30e-3),
    "amp_0.40V": (0.40, 5e-3, 30e-3),
}
T_CONDITION = 15.0  # s of the same train before measuring (5 relaxation times of the ionic state)
FIRING = dict(n_neurons=400, n_pulses=100, quick_neurons=60, quick_pulses=60)
POPULATION = dict(n_neurons=100, n_pulses=10)
FIG3D = dict(max_size=100, n_sims=1000, quick_sims=300)
RESONANCE = dict(
    amplitude=0.40,
    width=5e-3,
    period=30e-3,
    n_pulses=60,
    n_neurons=100,
    noise=(0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4),
    quick_noise=(0.0, 0.04, 0.08, 0.12, 0.2, 0.3, 0.4),
    sizes=(1, 10, 100),
    t_condition=6.0,
)
DEVICE = dict(sweep_step=0.01, sweep_dwell=0.5, v_max=1.0, n_cycles=20, read_v=0.02, hold_s=10.0, n_recovery=40)

"""Published figures of L. Wang et al. (ZnO diffusive-memristor neurons; published online 24 Jan
2025) and our protocols."""

PUBLISHED = {
    "v_th": 0.17,  # V, Fig. 2a
    "v_hold": 0.10,  # V, Fig. 2a
    "r_hrs_0p14": 130e6,  # Ohm at 0.14 V, Fig. 2a
    "on_off_min": 1e4,  # with 10 uA compliance, Fig. 2a
    "v_th_mean_d2d": 0.169,  # V, Fig. 2g
    "v_th_cv_d2d": 0.0079 / 0.169,  # Fig. 2g: 0.169 +- 0.0079 V
    "v_th_cv_c2c": 0.0225,  # Fig. 2c
    "f_0p5": 38.0,  # Hz at 0.5 V, Fig. 4c
    "f_2p0": 176.0,  # Hz at 2.0 V, Fig. 4c
    "f_0p8": 73.0,  # Hz at 0.8 V, Fig. 4a (50 and 100 ms pulses)
    "energy_per_spike_0p5": 1.442e-9,  # J at 0.5 V, Fig. 4
}

TOLERANCE = {"v_th": 0.15, "v_hold": 0.15, "f_ends": 0.20, "energy_factor": 2.0}

IV = dict(v_max=0.3, step=0.005, dwell=0.02, compliance=10e-6)  # 0.25 V/s staircase
VARIABILITY = dict(n_devices=30, n_cycles=10, step=0.001, dwell=0.004, sigma_d2d=0.047, sigma_c2c=0.0225)
LIF = dict(
    capacitance=47e-9, resistance=1e6, amplitude=2.0, gap=200e-6, widths=(200e-6, 400e-6, 500e-6, 600e-6), n_pulses=100
)
OSC = dict(
    capacitance=47e-9, resistance=1e6, amplitudes=tuple(round(0.5 + 0.1 * k, 2) for k in range(16)), duration=0.1
)
SEED = 0

"""The peers of the benchmark suite, each run in its own process by `_harness.run_peer`.

    python benchmarks/peers.py NAME 'JSON-KWARGS'

prints one JSON line: the peer's timings (medians of `repeats` calls after a warm-up), or
`{"skipped": reason}` when its package is not installed (`pip install -e ".[bench]"`).
This file imports neither JAX nor memjax: every peer is the model written the way a user of
that tool would write it, with the parameters passed in by the benchmark.

| peer | what |
|---|---|
| `bindsnet_dc` | BindsNET `DiehlAndCook2015`, its MNIST protocol (350 steps of 1 ms, Poisson 0-128 Hz) |
| `spikingjelly_snn` | SpikingJelly multi-step: Poisson encoder, Linear 784x10, LIF, MSE on rates, Adam |
| `spikingjelly_lif` | SpikingJelly multi-step Linear + LIF layer, forward + backward |
| `scipy_ensemble` | `scipy.integrate.solve_ivp` (BDF or Radau) on the ZnO oscillator, one circuit at a time |
| `numpy_population` / `numba_population` | the perovskite neuron population, vectorised NumPy / numba `@njit(parallel=True)` |
| `numpy_fig3d` | the Fig. 3d representation-error sweep in NumPy |
"""

import importlib.util
import json
import math
import sys
import time

import numpy as np


def _median(fn, repeats):
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    med = float(np.median(ts))
    return {"median_s": med, "first_s": first, "compile_s": max(first - med, 0.0), "repeats": repeats}


def _need(*mods):
    missing = [m for m in mods if importlib.util.find_spec(m) is None]
    if missing:
        return {"skipped": f"{', '.join(missing)} not installed (pip install -e '.[bench]')"}
    return None


# ------------------------------------------------------------------------------ BindsNET
def bindsnet_dc(images_path, n, repeats, time_steps=350, intensity=128.0, exc=22.5, inh=120.0, theta_plus=0.05):
    """Seconds per training image of BindsNET's Diehl & Cook network (examples/mnist/eth_mnist.py)."""
    if (s := _need("torch", "bindsnet")) is not None:
        return s
    import torch
    from bindsnet.encoding import PoissonEncoder
    from bindsnet.models import DiehlAndCook2015

    torch.manual_seed(0)
    images = np.load(images_path).reshape(-1, 1, 28, 28)
    net = DiehlAndCook2015(
        n_inpt=784,
        n_neurons=n,
        exc=exc,
        inh=inh,
        dt=1.0,
        norm=78.4,
        theta_plus=theta_plus,
        inpt_shape=(1, 28, 28),
    )
    enc = PoissonEncoder(time=time_steps, dt=1.0)

    def epoch():
        for img in images:
            x = enc(torch.as_tensor(img, dtype=torch.float32) * intensity)
            net.run(inputs={"X": x.view(time_steps, 1, 1, 28, 28)}, time=time_steps, input_time_dim=1)
            net.reset_state_variables()

    r = _median(epoch, repeats)
    k = len(images)
    return {
        "s_per_image": r["median_s"] / k,
        "first_s": r["first_s"] / k,
        "repeats": repeats,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }


# ------------------------------------------------------------------------------ SpikingJelly
def _sj_lif(tau, slope):
    from spikingjelly.activation_based import neuron, surrogate

    return neuron.LIFNode(
        tau=tau, v_threshold=1.0, v_reset=0.0, surrogate_function=surrogate.Sigmoid(alpha=slope), step_mode="m"
    )


def spikingjelly_snn(batch, n_steps, repeats, tau=23.5, slope=5.0, lr=0.05):
    """Milliseconds per BPTT training step: Poisson encoder -> Linear(784, 10) -> LIF (multi-step),
    MSE between output rates and one-hot labels, Adam."""
    if (s := _need("torch", "spikingjelly")) is not None:
        return s
    import torch
    from spikingjelly.activation_based import functional, layer

    torch.manual_seed(0)
    net = torch.nn.Sequential(layer.Linear(784, 10, bias=False, step_mode="m"), _sj_lif(tau, slope))
    functional.set_step_mode(net, "m")
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.random((batch, 784), dtype=np.float32))
    y = torch.nn.functional.one_hot(torch.as_tensor(rng.integers(0, 10, batch)), 10).float()

    def step():
        x_seq = (torch.rand(n_steps, batch, 784) < x).float()  # Poisson (Bernoulli per step) encoder
        rate = net(x_seq).mean(0)
        loss = torch.nn.functional.mse_loss(rate, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        functional.reset_net(net)

    r = _median(step, repeats)
    return {"ms_per_step": r["median_s"] * 1e3, "first_s": r["first_s"], "repeats": repeats, "torch": torch.__version__}


def spikingjelly_lif(n_in, n_out, n_steps, batch, repeats, tau=2.0, slope=4.0):
    """Milliseconds per forward + backward of Linear(n_in, n_out) + LIF over `n_steps` steps
    (multi-step mode, torch backend), loss = sum of output spikes, on fixed input spikes."""
    if (s := _need("torch", "spikingjelly")) is not None:
        return s
    import torch
    from spikingjelly.activation_based import functional, layer

    torch.manual_seed(0)
    net = torch.nn.Sequential(layer.Linear(n_in, n_out, bias=False, step_mode="m"), _sj_lif(tau, slope))
    functional.set_step_mode(net, "m")
    x_seq = (torch.rand(n_steps, batch, n_in) < 0.2).float()

    def step():
        net.zero_grad(set_to_none=True)
        net(x_seq).sum().backward()
        functional.reset_net(net)

    r = _median(step, repeats)
    return {"ms": r["median_s"] * 1e3, "first_s": r["first_s"], "repeats": repeats, "torch": torch.__version__}


# ------------------------------------------------------------------------------ SciPy ensemble
def _zno_rhs(p):
    """The series RC neuron with the diffusive memristor (memjax.devices.DiffusiveMemristor,
    memjax.circuits.series_rc_neuron) in NumPy, on the state scaled by (1 V, thickness, T0, 1)."""
    kb = 8.617333262e-5
    s = np.array([1.0, p["thickness"], p["t_ambient"], 1.0])

    def f(t, z):
        v, gap, temp, res = z * s
        kt = kb * max(temp, 1.0)
        g_eff = max(gap, 0.5 * p["gap_min"])
        cond = p["g_matrix"] + p["g_filament"] * math.exp(min(-(gap - p["gap_min"]) / p["tunnel_length"], 80.0))
        i_dev = cond * p["v_nonlinear"] * math.sinh(max(min(v / p["v_nonlinear"], 80.0), -80.0))
        field = p["hop_length"] * abs(v) / (2 * g_eff * kt)
        hop = (
            (1 + p["cluster_gain"] * res)
            * p["drift_velocity"]
            * math.exp(min(-p["e_drift"] / kt, 80.0))
            * math.sinh(min(field, 80.0))
        )
        drift = hop / (1 + hop / p["v_max"])
        window = -math.expm1(-(g_eff - p["gap_min"]) / p["tunnel_length"])
        dissolve = p["dissolution_rate"] * math.exp(min(-p["e_dissolution"] / kt, 80.0))
        dgap = -drift * window + dissolve * (p["thickness"] - gap)
        heat = i_dev * v - (temp - p["t_ambient"]) / p["r_th"]
        opening = max(dgap / (p["thickness"] - p["gap_min"]), 0.0)
        rupture = opening * opening / (opening + p["rupture_smoothing"])
        dres = (1 - res) * p["cluster_yield"] * rupture - res / p["cluster_lifetime"]
        dv = ((p["v_drive"] - v) / p["resistance"] - i_dev) / p["capacitance"]
        return np.array([dv, dgap, heat / p["c_th"], dres]) / s

    z0 = np.array([0.0, 1.0, 1.0, 0.0])
    return f, z0, s


def scipy_ensemble(params, n, t1, rtol, atol, method, repeats):
    """Seconds per circuit of `solve_ivp(method)` on `n` oscillators solved one after another
    (the same circuit; a loop is what a SciPy user runs for an ensemble)."""
    if (s := _need("scipy")) is not None:
        return s
    import scipy
    from scipy.integrate import solve_ivp

    f, z0, scale = _zno_rhs(params)
    out = {}

    def loop():
        for _ in range(n):
            sol = solve_ivp(f, (0.0, t1), z0, method=method, rtol=rtol, atol=atol)
            if not sol.success:
                raise RuntimeError(sol.message)
        out["sol"] = sol

    r = _median(loop, repeats)
    sol = out["sol"]
    return {
        "s_per_circuit": r["median_s"] / n,
        "n_steps": int(sol.t.size - 1),
        "nfev": int(sol.nfev),
        "njev": int(sol.njev),
        "final": (sol.y[:, -1] * scale).tolist(),
        "repeats": repeats,
        "scipy": scipy.__version__,
    }


# ------------------------------------------------------------------------------ perovskite
def _population_numpy(p, v_in, bins, n_bins, w0, thresholds, dtype):
    """`memjax.neurons.PerovskiteNeuron.step` (HazardTrigger), vectorised over neurons."""
    kt = 8.617333262e-5 * p["temperature"]
    dt, cap, gm = p["dt"], p["capacitance"], 1.0 / p["r_measure"]
    n = thresholds.shape[0]
    vc = np.zeros(n, dtype)
    w = np.full(n, w0, dtype)
    s = np.zeros(n, dtype)
    h = np.zeros(n, dtype)
    k = np.zeros(n, np.int64)
    counts = np.zeros((n, n_bins), np.int64)
    rows = np.arange(n)
    for t in range(len(v_in)):
        v = v_in[t]
        vsw = v - vc
        lam = (
            p["attempt_rate"]
            * np.exp(np.minimum(-(p["e_barrier"] - p["e_ionic"] * w) / kt, 80))
            * np.sinh(np.clip(np.abs(vsw) / p["v_hazard"], -80, 80))
        )
        h2 = h + lam * (1 - s) * dt
        th = thresholds[rows, np.minimum(k, thresholds.shape[1] - 1)]
        fire = (s < 0.5) & (h2 >= th)
        s = np.where(fire, 1.0, s)
        h = np.where(fire, 0.0, h2)
        k += fire
        if 0 <= bins[t] < n_bins:
            counts[:, bins[t]] += fire
        gap = p["g_lrs"] * np.exp(-(1 - w) / p["w_t"])
        g = p["g_hrs"] + gap * (s + (1 - s) * p["gap_ratio"])
        vinf = g * v / (g + gm)
        vc = vinf + (vc - vinf) * np.exp(-(g + gm) * dt / cap)
        kg = p["growth_rate"] * np.sinh(np.abs(vsw) / p["v_growth"])
        r = kg + 1 / p["tau_relax"]
        w = kg / r + (w - kg / r) * np.exp(-r * dt)
        s = s * (np.abs(v - vc) >= p["v_hold"])
    return counts


def numpy_population(params, n, n_steps, f32, repeats, amplitude=0.75, w0=0.29):
    dtype = np.float32 if f32 else np.float64
    v_in = _pulses(params, amplitude, n_steps).astype(dtype)
    bins = np.zeros(n_steps, np.int64)
    th = np.random.default_rng(0).exponential(size=(n, 5)).astype(dtype)
    out = {}
    r = _median(lambda: out.update(c=_population_numpy(params, v_in, bins, 1, w0, th, dtype)), repeats)
    return {
        "neuron_steps_per_s": n * n_steps / r["median_s"],
        "median_s": r["median_s"],
        "mean_spikes": float(out["c"].mean()),
        "repeats": repeats,
    }


def _pulses(p, amplitude, n_steps):
    """The 33 Hz train (5 ms pulses every 30 ms) sampled at dt."""
    k = np.arange(n_steps)
    on = (k % round(30e-3 / p["dt"])) < round(5e-3 / p["dt"])
    return amplitude * on.astype(np.float64)


def numba_population(params, n, n_steps, f32, repeats, amplitude=0.75, w0=0.29):
    """The same model as one fused numba loop: parallel over neurons, the time loop inside,
    state in registers."""
    if (s := _need("numba")) is not None:
        return s
    import numba

    dtype = np.float32 if f32 else np.float64
    p = params
    kt = 8.617333262e-5 * p["temperature"]
    c = {k: dtype(v) for k, v in p.items()}
    # numba freezes closure scalars as compile-time constants (a dict it cannot capture)
    nu0, e_b, e_i, v_n, v_g = c["attempt_rate"], c["e_barrier"], c["e_ionic"], c["v_hazard"], c["v_growth"]
    g_lrs, w_t, g_hrs, rho, k_g, v_hold = (
        c["g_lrs"],
        c["w_t"],
        c["g_hrs"],
        c["gap_ratio"],
        c["growth_rate"],
        c["v_hold"],
    )
    kt, dt, cap, gm = dtype(kt), c["dt"], c["capacitance"], dtype(1.0 / p["r_measure"])
    inv_tau = dtype(1.0 / p["tau_relax"])
    one, zero, half = dtype(1.0), dtype(0.0), dtype(0.5)

    @numba.njit(parallel=True, fastmath=False, cache=False)
    def run(v_in, thresholds, counts):
        n, n_th = thresholds.shape
        for i in numba.prange(n):
            vc, w, s, h, k, cnt = zero, dtype(w0), zero, zero, 0, 0
            th = thresholds[i, 0]
            for t in range(v_in.shape[0]):
                v = v_in[t]
                vsw = abs(v - vc)
                lam = nu0 * math.exp(-(e_b - e_i * w) / kt) * math.sinh(vsw / v_n)
                h2 = h + lam * (one - s) * dt
                if s < half and h2 >= th:
                    s, h, k, cnt = one, zero, k + 1, cnt + 1
                    th = thresholds[i, min(k, n_th - 1)]
                else:
                    h = h2
                gap = g_lrs * math.exp(-(one - w) / w_t)
                g = g_hrs + gap * (s + (one - s) * rho)
                vinf = g * v / (g + gm)
                vc = vinf + (vc - vinf) * math.exp(-(g + gm) * dt / cap)
                kg = k_g * math.sinh(vsw / v_g)
                r = kg + inv_tau
                w = kg / r + (w - kg / r) * math.exp(-r * dt)
                if abs(v - vc) < v_hold:
                    s = zero
            counts[i] = cnt

    v_in = _pulses(p, amplitude, n_steps).astype(dtype)
    th = np.random.default_rng(0).exponential(size=(n, 5)).astype(dtype)
    counts = np.zeros(n, np.int64)
    r = _median(lambda: run(v_in, th, counts), repeats)
    return {
        "neuron_steps_per_s": n * n_steps / r["median_s"],
        "median_s": r["median_s"],
        "compile_s": r["compile_s"],
        "threads": numba.get_num_threads(),
        "mean_spikes": float(counts.mean()),
        "repeats": repeats,
        "numba": numba.__version__,
    }


def numpy_fig3d(params, sims, size, n_pulses, repeats, amplitude=0.75, w0=0.29):
    """The Fig. 3d sweep: `sims` populations of `size` neurons under `n_pulses` pulses at 33 Hz,
    nearest-reference decoding for every population size 1..size."""
    dt = params["dt"]
    period, width = round(30e-3 / dt), round(5e-3 / dt)
    v_in = amplitude * np.tile((np.arange(period) < width).astype(np.float64), n_pulses)
    bins = np.repeat(np.arange(n_pulses), period)
    sizes = np.arange(1, size + 1)

    def sweep():
        rng = np.random.default_rng(1)
        th = rng.exponential(size=(sims * size, n_pulses + 1))
        c = _population_numpy(params, v_in, bins, n_pulses, w0, th, np.float64).reshape(sims, size, n_pulses)
        ref = np.cumsum(c, -1).mean(axis=(0, 1))
        code = np.cumsum(np.cumsum(c, axis=1), axis=2) / sizes[None, :, None]
        k_hat = np.argmin(np.abs(code[..., None] - ref), axis=-1) + 1
        return np.abs(k_hat - np.arange(1, n_pulses + 1)).mean(-1).T

    out = {}
    r = _median(lambda: out.update(e=sweep()), repeats)
    e = out["e"].mean(1)
    return {"median_s": r["median_s"], "error_n1": float(e[0]), "error_nmax": float(e[-1]), "repeats": repeats}


PEERS = {
    f.__name__: f
    for f in (
        bindsnet_dc,
        spikingjelly_snn,
        spikingjelly_lif,
        scipy_ensemble,
        numpy_population,
        numba_population,
        numpy_fig3d,
    )
}


if __name__ == "__main__":
    name, kwargs = sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    print(json.dumps(PEERS[name](**kwargs)), flush=True)

"""Spiking neurons built from the ZnO diffusive memristor: an oscillation encoder and a LIF.

Both are the series RC circuit of L. Wang et al. (`memjax.circuits.series_rc_neuron`): a source
charges a capacitor through a resistor; the ZnO device across the capacitor switches on at its
threshold, empties the capacitor (the spike) and relaxes. Inside a network trained by BPTT a
diffrax solve per neuron and time step is far too expensive, so each neuron is reduced to the
quantities the device ODE fixes, and each reduction is checked against the full solve
(`tests/test_snn.py`, `experiments/zno_snn`):

- the device's **quasi-static thresholds** come from the device's own gap equation: the fold
  (saddle-node) of its steady states, [`quasi_static_thresholds`][];
- the **oscillation period and energy** of the encoder are those of the event-located diffrax
  solve of the device ODE, tabulated over drive voltage and the device's hopping barrier
  `e_drift` with measured e_drift slopes, and interpolated smoothly (`ENCODER_TABLE`,
  [`ZnOEncoder`][]), so their `e_drift` gradients are those of the ODE;
- the **LIF membrane** is the capacitor with the RC leak, integrated exactly per time step.
"""

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._constants import BOLTZMANN_EV
from ..devices._base import require_in_range
from ..devices._diffusive import DiffusiveMemristor, DiffusiveState, zno_wang2022


def _arr():
    return eqx.field(converter=jnp.asarray)


# ---------------------------------------------------------------------------------------------
# Quasi-static thresholds from the device's gap equation.

_N_GAP = 4096


def _quasi_static_voltage(dev: DiffusiveMemristor, gap, temperature):
    """Voltage at which `gap` is a steady state of the gap equation (V), at `temperature` (K).

    Solving dg/dt = 0 of `DiffusiveMemristor.rate` for |V| in closed form: the drift velocity
    needed to balance dissolution is d = nu_d e^{-E_d/kT}(L - g)/w(g); the series supply limit
    gives the hopping velocity h = d / (1 - d/v_max); inverting the sinh of the hopping law,
    V = (2 g kT / a) asinh(h e^{E_a/kT} / v0). Where d >= v_max no voltage holds the gap: +inf.
    """
    kt = BOLTZMANN_EV * temperature
    window = -jnp.expm1(-(gap - dev.gap_min) / dev.tunnel_length)
    d = dev.dissolution_rate * jnp.exp(-dev.e_dissolution / kt) * (dev.thickness - gap) / window
    ok = d < dev.v_max
    h = d / jnp.where(ok, 1 - d / dev.v_max, 1.0)
    v = 2 * gap * kt / dev.hop_length * jnp.arcsinh(h * jnp.exp(dev.e_drift / kt) / dev.drift_velocity)
    return jnp.where(ok, v, jnp.inf)


def quasi_static_thresholds(dev: DiffusiveMemristor, n_gap: int = _N_GAP):
    r"""Threshold and hold voltages (V) of a diffusive memristor from its steady states.

    The steady states of the gap equation form a curve $V^*(g)$. Its local maximum on the
    high-resistance side is the threshold $V_{th}$ (a saddle-node: above it no open-gap steady
    state exists and the filament grows); its local minimum on the low-resistance side is the
    hold voltage $V_{hold}$ (below it the formed filament dissolves). The hold branch includes
    Joule heating, $T = T_0 + R_{th} I V$ (20 fixed-point iterations). Extrema are taken on a
    grid of `n_gap` gaps; by the envelope theorem their derivatives with respect to every device
    parameter are exact up to the grid spacing, so gradients flow from the thresholds into the
    device's physical parameters.

    These are quasi-static (infinitely slow sweep) values. For the `zno_wang2022` preset:
    $V_{th}$ = 0.169 V (DC sweep of the foundation, 20 ms per 5 mV step: 0.175 V; published
    0.17 V), $V_{hold}$ = 0.074 V (DC sweep with 10 uA compliance: 0.105 V; published 0.10 V:
    compliance and the finite sweep keep the filament warmer and thinner than the steady state).

    **Returns:** `(v_th, v_hold)`, V.
    """
    frac = jnp.linspace(1e-4, 1.0 - 1e-6, n_gap)
    gap = dev.gap_min + (dev.thickness - dev.gap_min) * frac
    v_cold = _quasi_static_voltage(dev, gap, dev.t_ambient + 0 * gap)
    finite = jnp.isfinite(v_cold)
    i_th = jnp.argmax(jnp.where(finite, v_cold, -1.0))
    v_th = v_cold[i_th]

    def heat(temperature, _):
        v = _quasi_static_voltage(dev, gap, temperature)
        v = jnp.where(jnp.isfinite(v), v, 0.0)
        p = dev.current(DiffusiveState(gap, temperature), v) * v
        return dev.t_ambient + dev.r_th * p, None

    temperature, _ = jax.lax.scan(heat, dev.t_ambient + 0 * gap, None, length=20)
    v_hot = _quasi_static_voltage(dev, gap, temperature)
    lrs = jnp.isfinite(v_hot) & (jnp.arange(n_gap) < i_th)
    v_hold = jnp.min(jnp.where(lrs, v_hot, jnp.inf))
    return v_th, v_hold


# ---------------------------------------------------------------------------------------------
# The oscillation encoder.

# Period (s) and source energy per cycle (J) of the ZnO oscillation neuron (47 nF, 1 MOhm,
# `zno_wang2022` with its hopping barrier `e_drift` varied over the co-design range), measured
# with the event-located diffrax solve of `memjax.circuits` (Kvaerno3 + Newton, rtol 1e-8,
# atol 1e-10; the second full cycle: first switch -> second switch), on the grid voltage (16) x
# e_drift (9, 0.36-0.44 eV in 0.01 eV steps), with the e_drift derivatives of log(period) and
# log(energy) (1/eV) from central differences of the same solve (step `fd_step` eV). Rows are
# e_drift, columns voltage. Regenerated by `regenerate_encoder_table()`; `tests/test_snn.py`
# checks entries against fresh solves.
#
# Grid spacing: log(period) changes by only ~0.43 over the whole range (ln of 29.6 ms / 19.3 ms
# at 0.5 V) and is smooth on the scale kT = 0.026 eV; with measured node slopes, the cubic
# Hermite interpolant's slope error is O(h^3): with 0.01 eV steps dP/de_drift is within 3e-6 of
# the diffrax finite difference at the table voltages for off-grid e_drift (`experiments/zno_snn`
# `check`); between table voltages the interpolation in V dominates (0.2%).
ENCODER_TABLE = {
    "voltage": (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0),
    "e_drift": (0.36, 0.37, 0.38, 0.39, 0.4, 0.41, 0.42, 0.43, 0.44),
    "period": (
        (
            1.93227753e-02,
            1.60250069e-02,
            1.37435240e-02,
            1.20581625e-02,
            1.07546116e-02,
            9.71185693e-03,
            8.85619745e-03,
            8.14002714e-03,
            7.53110806e-03,
            7.00674493e-03,
            6.55043281e-03,
            6.14983330e-03,
            5.79550257e-03,
            5.48006383e-03,
            5.19765250e-03,
            4.94353443e-03,
        ),
        (
            2.04773768e-02,
            1.69332600e-02,
            1.44962325e-02,
            1.27040105e-02,
            1.13224147e-02,
            1.02199214e-02,
            9.31680280e-03,
            8.56177976e-03,
            7.92026662e-03,
            7.36800882e-03,
            6.88743235e-03,
            6.46544575e-03,
            6.09206196e-03,
            5.75950364e-03,
            5.46160485e-03,
            5.19340015e-03,
        ),
        (
            2.16642717e-02,
            1.78605121e-02,
            1.52608476e-02,
            1.33576096e-02,
            1.18954156e-02,
            1.07315842e-02,
            9.78000707e-03,
            8.98552268e-03,
            8.31106596e-03,
            7.73073596e-03,
            7.22582990e-03,
            6.78246124e-03,
            6.39006963e-03,
            6.04045569e-03,
            5.72713674e-03,
            5.44490525e-03,
        ),
        (
            2.28852675e-02,
            1.88078351e-02,
            1.60381181e-02,
            1.40195111e-02,
            1.24740180e-02,
            1.12471267e-02,
            1.02459864e-02,
            9.41134089e-03,
            8.70351291e-03,
            8.09486779e-03,
            7.56551422e-03,
            7.10072841e-03,
            6.68934637e-03,
            6.32272453e-03,
            5.99404728e-03,
            5.69785323e-03,
        ),
        (
            2.41422453e-02,
            1.97762952e-02,
            1.68287765e-02,
            1.46902577e-02,
            1.30586286e-02,
            1.17668460e-02,
            1.07149438e-02,
            9.83935513e-03,
            9.09765631e-03,
            8.46039123e-03,
            7.90642019e-03,
            7.42014001e-03,
            6.98975256e-03,
            6.60614770e-03,
            6.26216025e-03,
            5.95206263e-03,
        ),
        (
            2.54371865e-02,
            2.07669625e-02,
            1.76335408e-02,
            1.53703802e-02,
            1.36496517e-02,
            1.22910464e-02,
            1.11870992e-02,
            1.02697113e-02,
            9.49357672e-03,
            8.82732936e-03,
            8.24852119e-03,
            7.74062747e-03,
            7.29118552e-03,
            6.89059609e-03,
            6.53132764e-03,
            6.20737370e-03,
        ),
        (
            2.67721997e-02,
            2.17809213e-02,
            1.84531175e-02,
            1.60603969e-02,
            1.42474848e-02,
            1.28200340e-02,
            1.16626821e-02,
            1.07025725e-02,
            9.89137790e-03,
            9.19573326e-03,
            8.59182184e-03,
            8.06215512e-03,
            7.59357541e-03,
            7.17597193e-03,
            6.80142987e-03,
            6.46365104e-03,
        ),
        (
            2.81495501e-02,
            2.28192820e-02,
            1.92882067e-02,
            1.67608142e-02,
            1.48525168e-02,
            1.33541121e-02,
            1.21419266e-02,
            1.11381122e-02,
            1.02911801e-02,
            9.56567526e-03,
            8.93635156e-03,
            8.38471440e-03,
            7.89688063e-03,
            7.46220552e-03,
            7.07237414e-03,
            6.72078368e-03,
        ),
        (
            2.95716895e-02,
            2.38831930e-02,
            2.01395070e-02,
            1.74721280e-02,
            1.54651275e-02,
            1.38935796e-02,
            1.26250670e-02,
            1.15765105e-02,
            1.06931148e-02,
            9.93724331e-03,
            9.28215904e-03,
            8.70831871e-03,
            8.20108327e-03,
            7.74925164e-03,
            7.34409190e-03,
            6.97868379e-03,
        ),
    ),
    "dlogperiod_de": (
        (
            5.89482520e00,
            5.61069353e00,
            5.43535173e00,
            5.32549915e00,
            5.25668421e00,
            5.21375913e00,
            5.18682403e00,
            5.16920044e00,
            5.15631411e00,
            5.14503378e00,
            5.13325609e00,
            5.11963004e00,
            5.10336392e00,
            5.08408405e00,
            5.06172786e00,
            5.03646007e00,
        ),
        (
            5.71582932e00,
            5.41876222e00,
            5.23264017e00,
            5.11359155e00,
            5.03722492e00,
            4.98847938e00,
            4.95747680e00,
            4.93749257e00,
            4.92384841e00,
            4.91326216e00,
            4.90344304e00,
            4.89282742e00,
            4.88039610e00,
            4.86554305e00,
            4.84797708e00,
            4.82764457e00,
        ),
        (
            5.55587050e00,
            5.24682466e00,
            5.05096087e00,
            4.92347853e00,
            4.83996446e00,
            4.78544589e00,
            4.75009721e00,
            4.72719364e00,
            4.71200875e00,
            4.70117148e00,
            4.69226934e00,
            4.68359096e00,
            4.67395132e00,
            4.66256807e00,
            4.64896951e00,
            4.63292467e00,
        ),
        (
            5.41250354e00,
            5.09210084e00,
            4.88737978e00,
            4.75219541e00,
            4.66200071e00,
            4.60189113e00,
            4.56210676e00,
            4.53594999e00,
            4.51868238e00,
            4.50688686e00,
            4.49807573e00,
            4.49043872e00,
            4.48267346e00,
            4.47386688e00,
            4.46340882e00,
            4.45092682e00,
        ),
        (
            5.28376565e00,
            4.95231562e00,
            4.73945811e00,
            4.59724502e00,
            4.50085572e00,
            4.43541845e00,
            4.39123863e00,
            4.36166058e00,
            4.34195694e00,
            4.32869309e00,
            4.31933914e00,
            4.31202152e00,
            4.30535715e00,
            4.29833870e00,
            4.29025212e00,
            4.28061493e00,
        ),
        (
            5.16807833e00,
            4.82560003e00,
            4.60516376e00,
            4.45652152e00,
            4.35441538e00,
            4.28395707e00,
            4.23550769e00,
            4.20245954e00,
            4.18011002e00,
            4.16502581e00,
            4.15465751e00,
            4.14709387e00,
            4.14089813e00,
            4.13499726e00,
            4.12860076e00,
            4.12114260e00,
        ),
        (
            5.06417041e00,
            4.71041603e00,
            4.48280157e00,
            4.32824653e00,
            4.22087480e00,
            4.14571945e00,
            4.09318015e00,
            4.05669639e00,
            4.03159784e00,
            4.01446455e00,
            4.00274282e00,
            3.99450155e00,
            3.98827119e00,
            3.98293337e00,
            3.97764315e00,
            3.97177240e00,
        ),
        (
            4.97101787e00,
            4.60549443e00,
            4.37095168e00,
            4.21091531e00,
            4.09869143e00,
            4.01916315e00,
            3.96274380e00,
            3.92291546e00,
            3.89504251e00,
            3.87572552e00,
            3.86241681e00,
            3.85317814e00,
            3.84652107e00,
            3.84129814e00,
            3.83662653e00,
            3.83183283e00,
        ),
        (
            4.88779757e00,
            4.50978514e00,
            4.26842336e00,
            4.10325113e00,
            3.98654531e00,
            3.90295569e00,
            3.84288077e00,
            3.79983511e00,
            3.76921754e00,
            3.74765303e00,
            3.73260635e00,
            3.72214061e00,
            3.71475878e00,
            3.70929590e00,
            3.70484379e00,
            3.70069704e00,
        ),
    ),
    "energy": (
        (
            4.03346263e-09,
            4.97700670e-09,
            5.94396084e-09,
            6.92802463e-09,
            7.92404350e-09,
            8.92800099e-09,
            9.93690498e-09,
            1.09486418e-08,
            1.19618287e-08,
            1.29756762e-08,
            1.39898640e-08,
            1.50044322e-08,
            1.60196867e-08,
            1.70361190e-08,
            1.80543396e-08,
            1.90750224e-08,
        ),
        (
            4.22614160e-09,
            5.21168879e-09,
            6.22227644e-09,
            7.25166110e-09,
            8.29456444e-09,
            9.34674039e-09,
            1.04049124e-08,
            1.14666610e-08,
            1.25302988e-08,
            1.35947488e-08,
            1.46594318e-08,
            1.57241643e-08,
            1.67890691e-08,
            1.78544969e-08,
            1.89209592e-08,
            1.99890720e-08,
        ),
        (
            4.41935027e-09,
            5.44665487e-09,
            6.50047197e-09,
            7.57468705e-09,
            8.66396677e-09,
            9.76389406e-09,
            1.08709553e-08,
            1.19824612e-08,
            1.30964450e-08,
            1.42115564e-08,
            1.53269604e-08,
            1.64422440e-08,
            1.75573320e-08,
            1.86724116e-08,
            1.97878677e-08,
            2.09042255e-08,
        ),
        (
            4.61309755e-09,
            5.68197494e-09,
            6.77867467e-09,
            7.89727064e-09,
            9.03243640e-09,
            1.01796389e-08,
            1.13351733e-08,
            1.24961175e-08,
            1.36602531e-08,
            1.48259750e-08,
            1.59922027e-08,
            1.71582948e-08,
            1.83239713e-08,
            1.94892429e-08,
            2.06543478e-08,
            2.18196963e-08,
        ),
        (
            4.80738055e-09,
            5.91770005e-09,
            7.05699095e-09,
            8.21956258e-09,
            9.40015017e-09,
            1.05941555e-08,
            1.17977266e-08,
            1.30077448e-08,
            1.42217688e-08,
            1.54379606e-08,
            1.66550079e-08,
            1.78720480e-08,
            1.90885961e-08,
            2.03044793e-08,
            2.15197771e-08,
            2.27347678e-08,
        ),
        (
            5.00218745e-09,
            6.15386488e-09,
            7.33550757e-09,
            8.54169515e-09,
            9.76727187e-09,
            1.10076209e-08,
            1.22587845e-08,
            1.35174829e-08,
            1.47810808e-08,
            1.60475302e-08,
            1.73153039e-08,
            1.85833282e-08,
            1.98509181e-08,
            2.11177164e-08,
            2.23836373e-08,
            2.36488157e-08,
        ),
        (
            5.19749998e-09,
            6.39049034e-09,
            7.61429327e-09,
            8.86378217e-09,
            1.01339500e-08,
            1.14202036e-08,
            1.27185180e-08,
            1.40254858e-08,
            1.53383069e-08,
            1.66547461e-08,
            1.79730797e-08,
            1.92920363e-08,
            2.06107387e-08,
            2.19286480e-08,
            2.32455116e-08,
            2.45613150e-08,
        ),
        (
            5.39329551e-09,
            6.62758601e-09,
            7.89340076e-09,
            9.18591979e-09,
            1.05003172e-08,
            1.18320606e-08,
            1.31770937e-08,
            1.45319139e-08,
            1.58935830e-08,
            1.72597028e-08,
            1.86283718e-08,
            1.99981353e-08,
            2.13679343e-08,
            2.27370543e-08,
            2.41050777e-08,
            2.54718382e-08,
        ),
        (
            5.58954871e-09,
            6.86515247e-09,
            8.17286871e-09,
            9.50818770e-09,
            1.08664896e-08,
            1.22433356e-08,
            1.36346708e-08,
            1.50369272e-08,
            1.64470556e-08,
            1.78625170e-08,
            1.92812513e-08,
            2.07016363e-08,
            2.21224427e-08,
            2.35427888e-08,
            2.49620960e-08,
            2.63800477e-08,
        ),
    ),
    "dlogenergy_de": (
        (
            4.77060855e00,
            4.71304680e00,
            4.68413848e00,
            4.67668205e00,
            4.68376175e00,
            4.69968944e00,
            4.72006507e00,
            4.74159471e00,
            4.76188220e00,
            4.77924982e00,
            4.79259401e00,
            4.80126979e00,
            4.80499594e00,
            4.80377616e00,
            4.79783297e00,
            4.78755108e00,
        ),
        (
            4.56542210e00,
            4.50546342e00,
            4.47155665e00,
            4.45831457e00,
            4.45991105e00,
            4.47126862e00,
            4.48830558e00,
            4.50786297e00,
            4.52755775e00,
            4.54564034e00,
            4.56087487e00,
            4.57244277e00,
            4.57986315e00,
            4.58292712e00,
            4.58164220e00,
            4.57618394e00,
        ),
        (
            4.37796438e00,
            4.31701852e00,
            4.27937684e00,
            4.26127381e00,
            4.25792962e00,
            4.26488838e00,
            4.27841944e00,
            4.29554455e00,
            4.31394883e00,
            4.33187213e00,
            4.34801150e00,
            4.36143968e00,
            4.37153830e00,
            4.37794270e00,
            4.38049481e00,
            4.37920328e00,
        ),
        (
            4.20577424e00,
            4.14495926e00,
            4.10468820e00,
            4.08260274e00,
            4.07490555e00,
            4.07775521e00,
            4.08778856e00,
            4.10223582e00,
            4.11888589e00,
            4.13601028e00,
            4.15228492e00,
            4.16672240e00,
            4.17861535e00,
            4.18748933e00,
            4.19306331e00,
            4.19521583e00,
        ),
        (
            4.04685137e00,
            3.98702936e00,
            3.94507481e00,
            3.91981670e00,
            3.90835968e00,
            3.90745762e00,
            3.91411917e00,
            3.92579877e00,
            3.94041215e00,
            3.95629041e00,
            3.97212082e00,
            3.98689108e00,
            3.99984121e00,
            4.01042352e00,
            4.01826885e00,
            4.02315757e00,
        ),
        (
            3.89955783e00,
            3.84136958e00,
            3.79852527e00,
            3.77082462e00,
            3.75618214e00,
            3.75191786e00,
            3.75540861e00,
            3.76434092e00,
            3.77677117e00,
            3.79110868e00,
            3.80607433e00,
            3.82065607e00,
            3.83406818e00,
            3.84571803e00,
            3.85517585e00,
            3.86215053e00,
        ),
        (
            3.76254126e00,
            3.70644176e00,
            3.66336120e00,
            3.63386325e00,
            3.61657553e00,
            3.60934679e00,
            3.60991259e00,
            3.61619310e00,
            3.62639357e00,
            3.63901350e00,
            3.65282230e00,
            3.66682574e00,
            3.68023276e00,
            3.69242610e00,
            3.70293724e00,
            3.71142506e00,
        ),
        (
            3.63467473e00,
            3.58096644e00,
            3.53817531e00,
            3.50744205e00,
            3.48800647e00,
            3.47820396e00,
            3.47611338e00,
            3.47988710e00,
            3.48788260e00,
            3.49869692e00,
            3.51115818e00,
            3.52430232e00,
            3.53734670e00,
            3.54966536e00,
            3.56076745e00,
            3.57027862e00,
        ),
        (
            3.51501023e00,
            3.46387326e00,
            3.42178446e00,
            3.39029698e00,
            3.36916470e00,
            3.35716114e00,
            3.35269119e00,
            3.35413328e00,
            3.35999821e00,
            3.36898478e00,
            3.37998624e00,
            3.39207707e00,
            3.40449306e00,
            3.41661097e00,
            3.42792995e00,
            3.43805555e00,
        ),
    ),
    "capacitance": 4.7e-08,
    "resistance": 1000000.0,
    "fd_step": 0.0001,
}


def encoder_table(voltages, device=None, *, capacitance=47e-9, resistance=1e6, rtol=1e-8, atol=1e-10):
    """Period (s) and source energy per cycle (J) of the oscillation neuron at each voltage, by
    the diffrax solve (as `memjax.circuits.oscillation_period`, plus the energy drawn from the
    source between the first and second switching). Not differentiated; seconds per call (one
    compilation per number of voltages)."""
    dev = zno_wang2022() if device is None else device
    v = jnp.asarray(voltages, float)
    c, r = jnp.asarray(capacitance, float), jnp.asarray(resistance, float)
    return _encoder_cycles(dev, v, c, r, rtol, atol)


_TABLE_VOLTAGES = tuple(round(0.5 + 0.1 * k, 1) for k in range(16))  # V
_TABLE_E_DRIFT = tuple(round(0.36 + 0.01 * k, 2) for k in range(9))  # eV


def regenerate_encoder_table(voltages=_TABLE_VOLTAGES, e_drifts=_TABLE_E_DRIFT, *, fd_step=1e-4, progress=False):
    """Re-measures `ENCODER_TABLE` with the diffrax solve: for each `e_drift` (eV), one vmapped
    `encoder_table` call over `voltages` (V) at `e_drift` and at `e_drift +- fd_step`. Needs
    `jax_enable_x64`. About 30 s on an idle 2-core CPU for the default grid.

    **Returns:** a dict like `ENCODER_TABLE` (print it with `format_encoder_table`)."""
    import numpy as np

    from .._checks import require_float64

    require_float64("regenerate_encoder_table", jnp.zeros(()))  # the one float64 message
    rows = {"period": [], "dlogperiod_de": [], "energy": [], "dlogenergy_de": []}
    for e in e_drifts:
        (p0, e0), (pp, ep), (pm, em) = (
            (np.asarray(a) for a in encoder_table(voltages, zno_wang2022(e_drift=e + d)))
            for d in (0.0, fd_step, -fd_step)
        )
        rows["period"].append(p0)
        rows["energy"].append(e0)
        rows["dlogperiod_de"].append((np.log(pp) - np.log(pm)) / (2 * fd_step))
        rows["dlogenergy_de"].append((np.log(ep) - np.log(em)) / (2 * fd_step))
        if progress:
            print(f"e_drift {e} eV: period {p0[0]:.6g}..{p0[-1]:.6g} s", flush=True)
    out = {
        "voltage": tuple(float(v) for v in voltages),
        "e_drift": tuple(float(e) for e in e_drifts),
    }
    for k, v in rows.items():
        out[k] = tuple(tuple(float(x) for x in r) for r in v)
    out.update(capacitance=47e-9, resistance=1e6, fd_step=fd_step)
    return out


def format_encoder_table(table) -> str:
    """`ENCODER_TABLE` as Python source (8 significant digits)."""
    lines = ["{"]
    lines.append(f'    "voltage": {tuple(table["voltage"])},')
    lines.append(f'    "e_drift": {tuple(table["e_drift"])},')
    for key in ("period", "dlogperiod_de", "energy", "dlogenergy_de"):
        lines.append(f'    "{key}": (')
        for row in table[key]:
            vals = [f"{x:.8e}" for x in row]
            lines.append("        (")
            for i in range(0, len(vals), 5):
                lines.append("            " + ", ".join(vals[i : i + 5]) + ",")
            lines.append("        ),")
        lines.append("    ),")
    for key in ("capacitance", "resistance", "fd_step"):
        lines.append(f'    "{key}": {table[key]!r},')
    lines.append("}")
    return "\n".join(lines)


@eqx.filter_jit
def _encoder_cycles(dev, volts, capacitance, resistance, rtol, atol):
    import memjax.circuits as mc

    def cycle(v):
        circ = mc.series_rc_neuron(dev, capacitance=capacitance, resistance=resistance, drive=mc.Constant(v))
        mid = (dev.thickness + dev.gap_min) / 2
        fn = lambda t, y: y.devices[0].gap - mid
        kw = dict(rtol=rtol, atol=atol, throw=False)
        s1 = mc.simulate(circ, 0.0, 0.2, event_fn=fn, event_direction=False, **kw)
        t1 = s1.ts[-1]
        s_r = mc.simulate(circ, 0.0, 1.5 * t1, **kw)
        y_r = jax.tree_util.tree_map(lambda a: a[-1], s_r.ys)
        s2 = mc.simulate(circ, 1.5 * t1, 1.5 * t1 + 0.2, y0=y_r, event_fn=fn, event_direction=False, **kw)
        # no switching, no reset or a failed solve: NaN, never the end time of a search
        fired = (s1.result == dfx.RESULTS.event_occurred) & (s2.result == dfx.RESULTS.event_occurred)
        bad = jnp.where(fired & (fn(0.0, y_r) > 0), 0.0, jnp.nan)
        return s2.ts[-1] - t1 + bad, s2.ys.energy.sources[-1, 0] - s1.ys.energy.sources[-1, 0] + bad

    return jax.vmap(cycle)(volts)


def _hermite_log(e, table, key):
    """exp of the cubic Hermite interpolant in e_drift of log(table[key]) with the measured
    slopes table["dlog" + key + "_de"]: one value per table voltage. C1 in e_drift; exact (value
    and slope) at the grid nodes. Outside the grid the end cubic extrapolates (ZnOEncoder
    rejects such devices when their e_drift is concrete)."""
    dtype = jnp.result_type(e, float)
    es = jnp.asarray(table["e_drift"], dtype)
    y = jnp.log(jnp.asarray(table[key], dtype))  # (n_e, n_v)
    m = jnp.asarray(table[f"dlog{key}_de"], dtype)
    k = jnp.clip(jnp.searchsorted(es, e, side="right") - 1, 0, len(table["e_drift"]) - 2)
    h = es[k + 1] - es[k]
    t = (e - es[k]) / h
    h00, h10 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t
    h01, h11 = -2 * t**3 + 3 * t**2, t**3 - t**2
    return jnp.exp(h00 * y[k] + h10 * h * m[k] + h01 * y[k + 1] + h11 * h * m[k + 1])


def _v_threshold(dev: DiffusiveMemristor, n_gap: int = _N_GAP):
    """The quasi-static threshold alone (the cold fold of `quasi_static_thresholds`), V."""
    frac = jnp.linspace(1e-4, 1.0 - 1e-6, n_gap)
    gap = dev.gap_min + (dev.thickness - dev.gap_min) * frac
    v_cold = _quasi_static_voltage(dev, gap, dev.t_ambient + 0 * gap)
    return jnp.max(jnp.where(jnp.isfinite(v_cold), v_cold, -1.0))


class ZnOEncoder(eqx.Module):
    r"""A population of ZnO oscillation neurons turning pixel intensities into spike trains.

    Pixel intensity $x \in [0, 1]$ drives its oscillator at $V = V_{lo} + x (V_{hi} - V_{lo})$
    (pixels at exactly 0 get no drive and stay silent when `blank_off`). Each oscillator is a
    phase $\phi \in [0, 1)$ advancing at its frequency $f(V)$; a spike is emitted when
    $\phi$ reaches 1 (surrogate Heaviside), then $\phi \leftarrow \phi - 1$.

    The period and the source energy per spike are those of the time-integrated device ODE
    (the diffrax solve of the RC circuit, `ENCODER_TABLE`), tabulated over the drive voltage and
    the device's hopping barrier `e_drift` (the co-designed device parameter, 0.36-0.44 eV):
    in `e_drift` the cubic Hermite interpolant of $\ln P$ (resp. $\ln E$) with node slopes
    measured by central differences of the same solve; in $V$ (0.1 V steps) linear
    interpolation of the frequency $1/P$ (nearly linear in $V$) and of the energy. So $P$ and
    $\partial P/\partial E_{drift}$ come from the ODE: against fresh diffrax solves at voltages
    and barriers between the table's nodes, the frequency is within 0.1% and autodiff
    $\partial P/\partial E_{drift}$ within 0.2% of the central finite difference
    (`experiments/zno_snn`, `check`).

    The other device parameters are those of `zno_wang2022`; a device that differs in them
    enters through the change of the charging time to the device threshold, relative to the
    reference device with the same `e_drift`:

    $$P(V) = P_{ODE}(V, E_{drift}) + RC\left[\ln\frac{V}{V - V_{th}(\theta)} - \ln\frac{V}{V - V_{th}(\theta_{ref}(E_{drift}))}\right],$$

    with $V_{th}$ from [`quasi_static_thresholds`][], and the energy gains
    $C V \Delta V_{th}$ (the extra charge drawn at $V$). For a device that differs from the
    preset only in `e_drift` (the networks of `memjax.networks`) the correction and its
    derivatives are exactly zero.

    **Fields (units):** `v_lo`, `v_hi` V in [0.5, 2] V; `device` the ZnO device (shared
    parameters; `e_drift` in [0.36, 0.44] eV, the table's range); the circuit is the table's
    (47 nF, 1 MOhm, Fig. 4).
    """

    v_lo: Float[Array, ""] = _arr()  # V
    v_hi: Float[Array, ""] = _arr()  # V
    device: DiffusiveMemristor
    blank_off: bool = eqx.field(static=True, default=True)

    def __check_init__(self):
        lo, hi = ENCODER_TABLE["voltage"][0], ENCODER_TABLE["voltage"][-1]
        require_in_range(self.v_lo, "v_lo", low=lo, high=hi + 1e-12, unit="V", open_low=False)
        require_in_range(self.v_hi, "v_hi", low=lo, high=hi + 1e-12, unit="V", open_low=False)
        e_lo, e_hi = ENCODER_TABLE["e_drift"][0], ENCODER_TABLE["e_drift"][-1]
        require_in_range(self.device.e_drift, "device.e_drift", low=e_lo, high=e_hi + 1e-12, unit="eV", open_low=False)

    def voltage(self, x):
        """Drive voltage (V) for intensities `x` in [0, 1]."""
        return self.v_lo + x * (self.v_hi - self.v_lo)

    def period_and_energy(self, v):
        """Oscillation period (s) and source energy per spike (J) at drive `v` (V)."""
        table = ENCODER_TABLE
        v = jnp.asarray(v)
        e = self.device.e_drift
        vs = jnp.asarray(table["voltage"], v.dtype)
        # linear in V is the frequency: f(V) is nearly linear (P ~ RC V_th / V + delay), so
        # interpolating f rather than P cuts the error between table voltages from 1.2% to 0.1%
        freq = jnp.interp(v, vs, 1.0 / _hermite_log(e, table, "period").astype(v.dtype))
        period = 1.0 / freq
        energy = jnp.interp(v, vs, _hermite_log(e, table, "energy").astype(v.dtype))
        # other device parameters: charging-time change to the shifted threshold (zero, value
        # and derivatives, when the device is the preset with this e_drift)
        v_th = _v_threshold(self.device).astype(v.dtype)
        v_ref = _v_threshold(zno_wang2022(e_drift=e)).astype(v.dtype)
        rc = table["capacitance"] * table["resistance"]
        period = period + rc * (jnp.log(v / (v - v_th)) - jnp.log(v / (v - v_ref)))
        energy = energy + table["capacitance"] * v * (v_th - v_ref)
        return period, energy

    def rates(self, x):
        """Frequencies (Hz) and energies per spike (J) for intensities `x` in [0, 1]."""
        v = self.voltage(x)
        period, energy = self.period_and_energy(v)
        on = (x > 0) if self.blank_off else jnp.ones_like(x, bool)
        return jnp.where(on, 1.0 / period, 0.0), energy


# ---------------------------------------------------------------------------------------------
# The LIF output neuron.


class ZnOLIF(eqx.Module):
    r"""LIF neuron: a capacitor charged by synaptic current, leaking through its RC circuit,
    firing when the ZnO device across it switches on.

    Between spikes the membrane (capacitor) voltage obeys $C\,dv/dt = -v/R + I(t)$; with the
    input charge $Q_k$ of step $k$ delivered at the start of the step this is integrated
    exactly: $v_{k+1} = v_k e^{-\Delta t/RC} + Q_k/C$. The threshold is the device's
    quasi-static threshold $V_{th}(\theta)$. When $v \ge V_{th}$ the device switches on and
    empties the capacitor: the diffrax solve of the same circuit (47 nF, `zno_wang2022`) shows
    the capacitor discharging to below 0.5 mV, far under $V_{hold}$, because the formed
    filament needs milliseconds to dissolve while the on-state RC is microseconds; so the
    reset is to 0 V (`reset="zero"`). `reset="hold"` resets to $V_{hold}(\theta)$ instead.
    Each spike dissipates $\frac12 C V_{th}^2$ (the charge on the capacitor) in the device.

    **Fields (units):** `capacitance` F, `resistance` Ohm (the leak, $\tau = RC$), `device`.
    """

    capacitance: Float[Array, ""] = _arr()  # F
    resistance: Float[Array, ""] = _arr()  # Ohm
    device: DiffusiveMemristor
    reset: str = eqx.field(static=True, default="zero")

    def __check_init__(self):
        require_in_range(self.capacitance, "capacitance", low=0.0, unit="F")
        require_in_range(self.resistance, "resistance", low=0.0, unit="Ohm")
        if self.reset not in ("zero", "hold"):
            raise ValueError(f"`reset` must be 'zero' or 'hold'; got {self.reset!r}.")

    def thresholds(self):
        return quasi_static_thresholds(self.device)

    def step(self, v, charge, *, dt, spike_fn, v_th, v_hold):
        """One exact step: returns `(spikes, v_next)`; `charge` in C, `dt` in s."""
        decay = jnp.exp(-dt / (self.resistance * self.capacitance))
        v = v * decay + charge / self.capacitance
        s = spike_fn((v - v_th) / v_th)
        v_reset = 0.0 if self.reset == "zero" else v_hold
        return s, v * (1 - s) + s * v_reset

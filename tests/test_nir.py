"""`memjax.io`: NIR export of a trained ZnO SNN with its device-derived constants in SI units
(tau = R C, the device's threshold), written to a file, read back and rebuilt: the rebuilt
network (point LIF neurons, no devices; the encoder stays in memjax) gives the same spike
counts as the device network on 100 MNIST test images."""

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

import memjax.data as mdata
import memjax.io as mio
import memjax.neurons as mneu
import memjax.training as mt
from memjax.networks import zno_snn as zs


nir = pytest.importorskip("nir")


@pytest.fixture(scope="module")
def trained():
    """A small ZnO SNN trained for 4 epochs on 300 images with device co-design (so the
    exported constants are trained values, not the presets): about 70% on the 100 test images."""
    cfg = zs.SNNConfig(n_steps=30)
    x, y = mdata.load_mnist("train", limit=300)
    xt, yt = mdata.load_mnist("test", limit=100)
    model = zs.zno_snn(cfg, key=jr.key(0), dtype=jnp.float64, weight_std=5.0)
    model, hist = zs.train(
        model, (x, y), (xt, yt), epochs=4, batch_size=50, lr_weights=0.5, progress=False, key=jr.key(1)
    )
    return model, hist, (xt, yt)


def test_zno_snn_round_trips_through_nir(trained, tmp_path):
    model, hist, (xt, yt) = trained
    net = mt.unwrap(model)
    graph = mio.to_nir(model)
    lif = graph.nodes["lif_0"]
    neu = net.neurons[0]
    # the constants in NIR's units: tau = R C (s), r = R (Ohm), threshold = the device's V_th (V)
    np.testing.assert_allclose(lif.tau, float(neu.resistance * neu.capacitance), rtol=1e-15)
    np.testing.assert_allclose(lif.r, float(neu.resistance), rtol=1e-15)
    np.testing.assert_allclose(lif.v_threshold, float(neu.device.thresholds()[0]), rtol=1e-15)
    np.testing.assert_array_equal(lif.v_reset, 0.0)
    assert lif.tau.shape == (10,) and 1e-3 < lif.tau[0] < 1.0  # 1 MOhm x tens of nF: tens of ms
    w = graph.nodes["affine_0"].weight
    syn = net.synapses[0]
    np.testing.assert_allclose(w, (np.asarray(syn.weights) * 1e-6 * 0.2 * 1e-4).T, rtol=1e-14)  # C per spike
    assert graph.metadata["n_steps"] == 30 and graph.metadata["dt_s"] == 2e-3

    path = tmp_path / "zno_snn.nir"
    nir.write(path, graph)
    back = mio.from_nir(path, encoder=net.encoder)
    assert isinstance(back.neurons[0], mneu.AdaptiveLIF)
    a = zs.run(net, xt)
    b = zs.run(back, xt)
    assert float(a.out_counts.sum()) > 100  # the outputs do fire
    np.testing.assert_array_equal(np.asarray(a.out_counts), np.asarray(b.out_counts))
    acc = float(np.mean(np.argmax(np.asarray(b.out_counts), 1) == yt))
    assert acc == pytest.approx(hist[-1]["test_accuracy"], abs=1e-12)
    assert acc > 0.5  # trained: well above chance (0.1)


def test_nir_rejects_what_it_cannot_describe(trained):
    model, _, _ = trained
    net = mt.unwrap(model)
    graph = mio.to_nir(net)
    graph.nodes["affine_0"].bias[:] = 1e-9
    with pytest.raises(ValueError, match="bias"):
        mio.from_nir(graph, encoder=net.encoder)
    adaptive = mneu.AdaptiveLIF(
        v_rest=0.0, v_reset=0.0, v_thresh=0.5, tau=0.05, refractory=1e-3, capacitance=47e-9, theta_plus=0.0
    )
    import memjax.networks as mn

    bad = mn.FeedForward(net.encoder, net.synapses, (adaptive,), n_steps=4, dt=2e-3)
    with pytest.raises(ValueError, match="refractory"):
        mio.to_nir(bad)
    with pytest.raises(ValueError, match="n_steps"):
        g = mio.to_nir(net)
        g.metadata = {}
        mio.from_nir(g, encoder=net.encoder)

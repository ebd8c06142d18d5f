"""Published figures of L. Wang et al. (Fig. 5, ZnO SNN on MNIST) and our protocols."""

PUBLISHED = {"accuracy": 0.8917}  # test accuracy after 50 epochs (Fig. 5b, SpikingJelly)

SEED = 0
# T = n_steps * dt = 100 ms presentation: 4 (0.5 V) to 17 (2 V) encoder spikes per pixel.
MAIN = dict(n_train=60_000, n_test=10_000, n_steps=50, dt=2e-3, batch_size=100, epochs=50)
QUICK = dict(n_train=2_000, n_test=500, n_steps=50, dt=2e-3, batch_size=50, epochs=2)
CODESIGN = {
    "quick": dict(n_train=1_000, n_test=500, n_steps=30, dt=2e-3, batch_size=50, epochs=2, energy_weights=(0.0, 1e-3)),
    "full": dict(
        n_train=5_000,
        n_test=2_000,
        n_steps=50,
        dt=2e-3,
        batch_size=100,
        epochs=3,
        energy_weights=(0.0, 1e-4, 3e-4, 1e-3, 3e-3),
    ),
}

import os
import pathlib
import shutil

import jax.random as jr
import numpy as np
import pytest

import memjax.data as mdata
from memjax.data import _mnist


# Checked counts and statistics of the shared copy (shared/data/README.md).
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
TRAIN_PIXEL_MEAN = 33.318  # on the 0..255 scale
FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


@pytest.fixture(scope="session")
def mnist_source():
    """The folder of IDX files, found as `load_mnist` finds it (env var, then shared/)."""
    return _mnist._find_source_dir(None, pathlib.Path("<unprepared>"))


@pytest.fixture(scope="session")
def mnist_data_dir(tmp_path_factory, mnist_source):
    """A TFDS data dir where MNIST is prepared once for the whole session."""
    data_dir = tmp_path_factory.mktemp("tensorflow_datasets")
    mdata.load_mnist("test", data_dir=data_dir, source_dir=mnist_source, limit=0)
    return data_dir


@pytest.fixture(scope="session")
def mnist_train(mnist_data_dir):
    return mdata.load_mnist("train", data_dir=mnist_data_dir)


@pytest.fixture(scope="session")
def mnist_test(mnist_data_dir):
    return mdata.load_mnist("test", data_dir=mnist_data_dir)


def _copy_source(source, destination):
    destination.mkdir()
    for name in (*_mnist._ALL_FILES, _mnist._SUMS_FILE):
        shutil.copy(source / name, destination / name)
    return destination


def test_train_split(mnist_train):
    images, labels = mnist_train
    assert images.shape == (60_000, 28, 28) and images.dtype == np.float32
    assert labels.shape == (60_000,) and labels.dtype == np.int32
    assert images.min() == 0.0 and images.max() == 1.0
    assert np.bincount(labels, minlength=10).tolist() == TRAIN_COUNTS
    mean = images.mean(dtype=np.float64)
    np.testing.assert_allclose(mean, TRAIN_PIXEL_MEAN / 255, rtol=0, atol=1e-3 / 255)


def test_test_split(mnist_test):
    images, labels = mnist_test
    assert images.shape == (10_000, 28, 28) and images.dtype == np.float32
    assert labels.dtype == np.int32
    assert np.bincount(labels, minlength=10).tolist() == TEST_COUNTS
    assert labels[:10].tolist() == FIRST_TEST_LABELS  # original file order is kept


def test_limit_and_uint8(mnist_data_dir, mnist_test):
    images, labels = mdata.load_mnist("test", data_dir=mnist_data_dir, limit=100, as_uint8=True)
    assert images.shape == (100, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (100,) and labels.dtype == np.int32
    np.testing.assert_array_equal(images / np.float32(255), mnist_test[0][:100])
    np.testing.assert_array_equal(labels, mnist_test[1][:100])
    images, labels = mdata.load_mnist("test", data_dir=mnist_data_dir, limit=0)
    assert images.shape == (0, 28, 28) and labels.shape == (0,)
    images, _ = mdata.load_mnist("test", data_dir=mnist_data_dir, limit=10**9)
    assert images.shape[0] == 10_000
    with pytest.raises(ValueError, match="limit"):
        mdata.load_mnist("test", data_dir=mnist_data_dir, limit=-1)


def test_prepared_data_needs_no_source(mnist_data_dir, tmp_path):
    _, labels = mdata.load_mnist("test", data_dir=mnist_data_dir, source_dir=tmp_path / "absent", limit=10)
    assert labels.tolist() == FIRST_TEST_LABELS


def test_data_dir_from_env(mnist_data_dir, monkeypatch):
    monkeypatch.setenv("MEMJAX_DATA_DIR", os.fspath(mnist_data_dir))
    monkeypatch.setenv("MEMJAX_MNIST_DIR", "/nonexistent")
    _, labels = mdata.load_mnist("test", limit=10)
    assert labels.tolist() == FIRST_TEST_LABELS


def test_missing_source_dir(tmp_path):
    missing = tmp_path / "no_mnist_here"
    with pytest.raises(FileNotFoundError) as info:
        mdata.load_mnist(data_dir=tmp_path / "tfds", source_dir=missing)
    message = str(info.value)
    assert os.fspath(missing) in message and "no such folder" in message
    assert "MEMJAX_MNIST_DIR" in message and "train-images-idx3-ubyte.gz" in message
    assert not (tmp_path / "tfds" / "memjax_mnist" / "1.0.0").exists()


def test_missing_everywhere(tmp_path, monkeypatch):
    monkeypatch.setattr(_mnist, "_REPO_ROOT", tmp_path / "repo")
    monkeypatch.setenv("MEMJAX_MNIST_DIR", os.fspath(tmp_path / "env_dir"))
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    (tmp_path / "shared" / "data" / "mnist").mkdir(parents=True)  # exists but empty
    with pytest.raises(FileNotFoundError) as info:
        mdata.load_mnist(data_dir=tmp_path / "tfds")
    message = str(info.value)
    assert os.fspath(tmp_path / "env_dir") in message
    assert os.fspath(tmp_path / "shared" / "data" / "mnist") in message
    assert "missing train-images-idx3-ubyte.gz" in message


def test_source_resolution_order(tmp_path, monkeypatch, mnist_source):
    # The explicit argument wins and is the only folder tried.
    assert _mnist._source_candidates(tmp_path) == [tmp_path]
    monkeypatch.setenv("MEMJAX_MNIST_DIR", os.fspath(tmp_path))
    candidates = _mnist._source_candidates(None)
    assert candidates[0] == tmp_path
    assert candidates[1] == _mnist._REPO_ROOT / ".." / "shared" / "data" / "mnist"
    assert candidates[2] == pathlib.Path.cwd() / ".." / "shared" / "data" / "mnist"
    # An empty env folder is skipped in favour of the next candidate holding the files. The
    # shared folder is reached through a symlink (as on machines where `../shared` is one):
    # paths are compared resolved.
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "shared").symlink_to(mnist_source.resolve().parents[1], target_is_directory=True)
    monkeypatch.setattr(_mnist, "_REPO_ROOT", repo)
    found = _mnist._find_source_dir(None, tmp_path)
    assert found.resolve() == mnist_source.resolve()


def test_corrupted_file_fails_checksum(tmp_path, mnist_source):
    source = _copy_source(mnist_source, tmp_path / "mnist")
    target = source / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.chmod(0o644)
    target.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum mismatch.*t10k-labels-idx1-ubyte.gz"):
        mdata.load_mnist(data_dir=tmp_path / "tfds", source_dir=source)
    assert not (tmp_path / "tfds" / "memjax_mnist" / "1.0.0" / "dataset_info.json").exists()


def test_missing_checksums_file(tmp_path, mnist_source):
    source = _copy_source(mnist_source, tmp_path / "mnist")
    (source / "SHA256SUMS").unlink()
    with pytest.raises(FileNotFoundError, match="SHA256SUMS"):
        mdata.load_mnist(data_dir=tmp_path / "tfds", source_dir=source)


def _synthetic(n=103):
    images = np.arange(n * 4, dtype=np.float32).reshape(n, 2, 2)
    labels = np.arange(n, dtype=np.int32)
    return images, labels


def test_batches_deterministic(getkey):
    images, labels = _synthetic()
    key = getkey()
    first = [y for _, y in mdata.batches(images, labels, 10, key=key)]
    again = [y for _, y in mdata.batches(images, labels, 10, key=key)]
    other = [y for _, y in mdata.batches(images, labels, 10, key=getkey())]
    assert len(first) == 10 and all(y.shape == (10,) for y in first)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(np.concatenate(first), np.concatenate(other))
    # Images and labels stay paired.
    for x, y in mdata.batches(images, labels, 10, key=key):
        np.testing.assert_array_equal(x[:, 0, 0], 4 * y)


def test_batches_cover_and_order(getkey):
    images, labels = _synthetic()
    seen = np.concatenate([y for _, y in mdata.batches(images, labels, 10, key=getkey(), drop_last=False)])
    assert sorted(seen.tolist()) == list(range(103))
    kept = [y for _, y in mdata.batches(images, labels, 10, shuffle=False, drop_last=False)]
    assert [len(y) for y in kept] == [10] * 10 + [3]
    np.testing.assert_array_equal(np.concatenate(kept), labels)
    dropped = [y for _, y in mdata.batches(images, labels, 10, shuffle=False)]
    assert len(dropped) == 10 and np.concatenate(dropped).tolist() == list(range(100))
    assert list(mdata.batches(images[:5], labels[:5], 10, shuffle=False)) == []


def test_batches_errors():
    images, labels = _synthetic()
    with pytest.raises(ValueError, match="key"):
        mdata.batches(images, labels, 10)
    with pytest.raises(ValueError, match="leading"):
        mdata.batches(images, labels[:-1], 10, key=jr.key(0))
    with pytest.raises(ValueError, match="batch_size"):
        mdata.batches(images, labels, 0, key=jr.key(0))

"""MNIST, prepared by tensorflow-datasets from a local folder of IDX files, with no TensorFlow.

The stock `tfds` builder for MNIST needs TensorFlow to prepare and downloads the original
files, whose checksums never match a re-compressed copy. Instead a small builder of our own,
[`MemjaxMnist`][], reads the four standard IDX `.gz` files from a local folder, checks them
against that folder's `SHA256SUMS`, and writes `array_record` shards; `tfds.data_source` then
reads them back by random access, again without TensorFlow. Nothing here touches the network.
"""

import gzip
import hashlib
import os
import pathlib

import numpy as np
import tensorflow_datasets as tfds


_NAME = "memjax_mnist"
_VERSION = "1.0.0"
_SHAPE = (28, 28)
_FILES = {  # split -> (images, labels)
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_NUM_EXAMPLES = {"train": 60_000, "test": 10_000}
_ALL_FILES = tuple(name for pair in _FILES.values() for name in pair)
_SUMS_FILE = "SHA256SUMS"

_SOURCE_ENV = "MEMJAX_MNIST_DIR"
_DATA_ENV = "MEMJAX_DATA_DIR"
_DEFAULT_DATA_DIR = "~/.cache/memjax/tensorflow_datasets"
# The folder holding the `memjax` package: the repository root in a source checkout.
_REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
_SHARED_RELATIVE = pathlib.Path("..", "shared", "data", "mnist")

_HOW_TO_PROVIDE = f"""\
Put the four MNIST IDX files, gzip-compressed, in one folder ({", ".join(_ALL_FILES)}),
together with a `{_SUMS_FILE}` file listing their SHA-256 checksums in `sha256sum` format
(make it with `sha256sum *.gz > {_SUMS_FILE}` once you trust the files). Then pass the folder
as `source_dir=...`, or set the environment variable `{_SOURCE_ENV}`, or place it at
`../shared/data/mnist` relative to the repository root or to the working directory."""


def _read_idx(path: pathlib.Path, *, magic: int, shape: tuple[int, ...]) -> np.ndarray:
    """Parses one gzip-compressed IDX file of unsigned bytes; checks its header."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = len(shape)
    header = 4 + 4 * ndim
    if len(data) < header or int.from_bytes(data[:4], "big") != magic:
        raise ValueError(
            f"{path} is not an IDX file of {ndim}-d unsigned bytes (expected magic number "
            f"{magic:#010x}). Check that the images and labels files are not swapped."
        )
    found = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if found != shape:
        raise ValueError(f"{path} holds an array of shape {found}; expected {shape}.")
    array = np.frombuffer(data, dtype=np.uint8, offset=header)
    if array.size != np.prod(shape):
        raise ValueError(f"{path} is truncated: {array.size} values, expected {np.prod(shape)}.")
    return array.reshape(shape)


def _read_split(source: pathlib.Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    images_file, labels_file = _FILES[split]
    n = _NUM_EXAMPLES[split]
    images = _read_idx(source / images_file, magic=0x00000803, shape=(n, *_SHAPE))
    labels = _read_idx(source / labels_file, magic=0x00000801, shape=(n,))
    if labels.max() > 9:
        raise ValueError(f"{source / labels_file} holds labels outside 0..9.")
    return images, labels


def _sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _verify_checksums(source: pathlib.Path) -> None:
    """Checks the four IDX files against `source/SHA256SUMS`; raises `ValueError` otherwise."""
    sums_path = source / _SUMS_FILE
    if not sums_path.is_file():
        raise FileNotFoundError(
            f"No `{_SUMS_FILE}` in {source}: the MNIST files are verified against it before "
            f"they are prepared.\n{_HOW_TO_PROVIDE}"
        )
    expected = {}
    for line in sums_path.read_text().splitlines():
        if line.strip():
            digest, _, name = line.strip().partition(" ")
            expected[name.strip().lstrip("*")] = digest.lower()
    missing = [name for name in _ALL_FILES if name not in expected]
    if missing:
        raise ValueError(f"{sums_path} lists no checksum for {', '.join(missing)}.")
    for name in _ALL_FILES:
        actual = _sha256(source / name)
        if actual != expected[name]:
            raise ValueError(
                f"SHA-256 checksum mismatch for {source / name}: {_SUMS_FILE} lists "
                f"{expected[name]}, the file hashes to {actual}. The file is corrupted or "
                "incomplete: copy it again from a trusted source."
            )


class MemjaxMnist(tfds.core.GeneratorBasedBuilder):
    """The MNIST digits, prepared offline from a folder of the four IDX `.gz` files.

    The folder is the manual directory (`tfds.download.DownloadConfig(manual_dir=...)`); its
    files are checked against its `SHA256SUMS` before anything is written. Examples keep the
    original file order (`disable_shuffling=True`), so index `i` is the `i`-th image of the
    IDX file. Prepare with `file_format="array_record"` and read with `tfds.data_source`:
    `tfds.load`/`as_dataset` need TensorFlow.
    """

    VERSION = tfds.core.Version(_VERSION)
    RELEASE_NOTES = {_VERSION: "The MNIST IDX files, verified against SHA256SUMS."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = _HOW_TO_PROVIDE

    def _info(self) -> tfds.core.DatasetInfo:
        # Built directly rather than through `dataset_info_from_configs`, which would read
        # metadata files from this module's folder.
        return tfds.core.DatasetInfo(
            builder=self,
            description=(
                "The MNIST database of handwritten digits: 60,000 training and 10,000 test "
                "grey-scale images of 28x28 pixels (0 = background, 255 = ink), with labels."
            ),
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Tensor(shape=_SHAPE, dtype=np.uint8),
                    "label": tfds.features.ClassLabel(num_classes=10),
                }
            ),
            supervised_keys=("image", "label"),
            disable_shuffling=True,
            homepage="http://yann.lecun.com/exdb/mnist/",
            citation=(
                "@article{lecun1998gradient, title={Gradient-based learning applied to document "
                "recognition}, author={LeCun, Yann and Bottou, L{\\'e}on and Bengio, Yoshua and "
                "Haffner, Patrick}, journal={Proceedings of the IEEE}, volume={86}, number={11}, "
                "pages={2278--2324}, year={1998}, doi={10.1109/5.726791}}"
            ),
        )

    def _split_generators(self, dl_manager):
        source = pathlib.Path(dl_manager.manual_dir)
        _verify_checksums(source)
        return {split: self._generate_examples(source, split) for split in _FILES}

    def _generate_examples(self, source: pathlib.Path, split: str):
        images, labels = _read_split(source, split)
        for i in range(len(labels)):
            yield i, {"image": images[i], "label": int(labels[i])}


def _source_candidates(source_dir) -> list[pathlib.Path]:
    if source_dir is not None:
        return [pathlib.Path(source_dir).expanduser()]
    candidates = []
    if env := os.environ.get(_SOURCE_ENV):
        candidates.append(pathlib.Path(env).expanduser())
    candidates.append(_REPO_ROOT / _SHARED_RELATIVE)
    candidates.append(pathlib.Path.cwd() / _SHARED_RELATIVE)
    return candidates


def _what_is_missing(folder: pathlib.Path) -> str:
    if not folder.is_dir():
        return "no such folder"
    return "missing " + ", ".join(name for name in _ALL_FILES if not (folder / name).is_file())


def _find_source_dir(source_dir, data_dir: pathlib.Path) -> pathlib.Path:
    """The first candidate folder that holds all four IDX files, else `FileNotFoundError`."""
    candidates = _source_candidates(source_dir)
    for folder in candidates:
        if all((folder / name).is_file() for name in _ALL_FILES):
            return folder.resolve()
    searched = "\n".join(f"    {f.resolve()}  ({_what_is_missing(f)})" for f in candidates)
    raise FileNotFoundError(
        f"MNIST is not prepared in {data_dir / _NAME} and its source files were not found "
        f"(memjax never downloads them). Searched:\n{searched}\n{_HOW_TO_PROVIDE}"
    )


def _resolve_data_dir(data_dir) -> pathlib.Path:
    if data_dir is None:
        data_dir = os.environ.get(_DATA_ENV) or _DEFAULT_DATA_DIR
    return pathlib.Path(data_dir).expanduser().resolve()


def load_mnist(
    split: str = "train",
    *,
    data_dir: str | os.PathLike | None = None,
    source_dir: str | os.PathLike | None = None,
    limit: int | None = None,
    as_uint8: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Loads MNIST as host-side numpy arrays, through tensorflow-datasets and fully offline.

    On first use the dataset is prepared: the four IDX files of `source_dir` are checked
    against its `SHA256SUMS`, then written as `array_record` shards to
    `data_dir/memjax_mnist/1.0.0/` by [`MemjaxMnist`][] (a few seconds). Later calls read the
    prepared shards with `tfds.data_source` and do not need the source folder. TensorFlow is
    not needed, and nothing is ever downloaded.

    **Arguments:**

    - `split`: `"train"` (60,000 images) or `"test"` (10,000 images); TFDS slicing such as
        `"train[:50000]"` also works.
    - `data_dir`: where prepared data lives. Defaults to the environment variable
        `MEMJAX_DATA_DIR`, else `~/.cache/memjax/tensorflow_datasets`.
    - `source_dir`: the folder of IDX files, read only when `data_dir` holds no prepared data.
        If not given, the first folder holding the four files among `$MEMJAX_MNIST_DIR`,
        `../shared/data/mnist` relative to the repository root, and `../shared/data/mnist`
        relative to the working directory.
    - `limit`: if given, return only the first `limit` examples of the split, in the original
        file order (only those are read).
    - `as_uint8`: return raw `uint8` pixels in `0..255` instead of `float32` in `[0, 1]`.

    **Returns:**

    A tuple `(images, labels)`: `images` of shape `(n, 28, 28)`, `float32` in `[0, 1]` (pixel
    / 255) or `uint8` with `as_uint8=True`, 0 being background; `labels` of shape `(n,)`,
    `int32` in `0..9`.

    **Raises:**

    - `FileNotFoundError`: nothing is prepared in `data_dir` and no source folder holds the
        four files; the message names the folders searched and how to provide the files.
    - `ValueError`: a source file fails its `SHA256SUMS` check or is not a valid IDX file, or
        `limit` is negative, or `split` is unknown.

    !!! note

        Prepared data takes precedence over `source_dir`: to prepare again from other files,
        delete `data_dir/memjax_mnist`.
    """
    if limit is not None and limit < 0:
        raise ValueError(f"`limit` must be None or a non-negative integer; got {limit}.")
    data_dir = _resolve_data_dir(data_dir)
    builder = MemjaxMnist(data_dir=os.fspath(data_dir), file_format="array_record")
    if not builder.is_prepared():
        source = _find_source_dir(source_dir, data_dir)
        try:
            builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=os.fspath(source)))
        except OSError:
            # Another process may have prepared the same `data_dir` concurrently: TFDS then
            # fails to rename its temporary folder onto the finished one. That is fine.
            if not builder.is_prepared():
                raise
    source = tfds.data_source(_NAME, split=split, data_dir=os.fspath(data_dir), download=False)
    n = len(source) if limit is None else min(limit, len(source))
    records = source.__getitems__(list(range(n))) if n else []
    images = np.empty((n, *_SHAPE), dtype=np.uint8)
    labels = np.empty((n,), dtype=np.int32)
    for i, record in enumerate(records):
        images[i] = record["image"]
        labels[i] = record["label"]
    if not as_uint8:
        images = images.astype(np.float32) / np.float32(255)
    return images, labels

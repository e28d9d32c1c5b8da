"""Your own vectors and metadata (the Embedding Projector's TSV format): good files load, bad ones explain."""
import numpy as np
import pytest

from explorer.core.vector_files import (VectorFileError, load_vector_files, read_text_items, read_vectors)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_projector_tsv_with_a_one_column_metadata_file(tmp_path):
    vectors = write(tmp_path, "vectors.tsv", "0.1\t0.2\t0.3\n1\t2\t3\n-1\t0\t1\n")
    meta = write(tmp_path, "metadata.tsv", "cat\ndog\nfish\n")
    data = load_vector_files(vectors, meta)
    assert data.vectors.shape == (3, 3) and data.vectors.dtype == np.float32
    assert data.labels == ["cat", "dog", "fish"] and data.warnings == []


def test_metadata_with_several_columns_has_a_header(tmp_path):
    vectors = write(tmp_path, "v.tsv", "1\t0\n0\t1\n1\t1\n")
    meta = write(tmp_path, "m.tsv", "word\tkind\ncat\tanimal\noak\tplant\ndog\tanimal\n")
    data = load_vector_files(vectors, meta)
    assert data.columns == {"word": ["cat", "oak", "dog"], "kind": ["animal", "plant", "animal"]}
    assert data.labels == ["cat", "oak", "dog"]


def test_csv_npy_and_word2vec_text_files(tmp_path):
    csv = write(tmp_path, "v.csv", "1,2\n3,4\n")
    assert read_vectors(csv)[0].tolist() == [[1, 2], [3, 4]]
    np.save(tmp_path / "v.npy", np.arange(6, dtype=np.float64).reshape(3, 2))
    assert read_vectors(tmp_path / "v.npy")[0].dtype == np.float32
    w2v = write(tmp_path, "w.txt", "2 3\nking 0.1 0.2 0.3\nqueen 0.2 0.2 0.3\n")
    values, labels = read_vectors(w2v)
    assert labels == ["king", "queen"] and values.shape == (2, 3)
    data = load_vector_files(w2v)
    assert data.labels == ["king", "queen"]


@pytest.mark.parametrize("content, message", [
    ("", "empty"),
    ("\n\n", "empty"),
    ("1\t2\t3\n", "one item"),
    ("1\t2\t3\n4\t5\n", "line 2: 2 numbers where line 1 has 3"),
    ("1\t2\n3\tabc\n", "line 2: 'abc' is not a number"),
    ("1\t2\nnan\t3\n", "row 2, column 1 is NaN"),
    ("1\t2\ninf\t3\n", "infinite"),
])
def test_bad_vector_files_say_what_is_wrong(tmp_path, content, message):
    path = write(tmp_path, "bad.tsv", content)
    with pytest.raises(VectorFileError, match=message):
        load_vector_files(path)


def test_duplicate_rows_load_with_a_warning(tmp_path):
    path = write(tmp_path, "dup.tsv", "1\t2\n3\t4\n1\t2\n")
    data = load_vector_files(path)
    assert len(data) == 3
    assert data.warnings and "row 3 repeats row 1" in data.warnings[0]


def test_metadata_with_the_wrong_row_count(tmp_path):
    vectors = write(tmp_path, "v.tsv", "1\t0\n0\t1\n1\t1\n")
    with pytest.raises(VectorFileError, match="2 rows but there are 3 vectors"):
        load_vector_files(vectors, write(tmp_path, "m.tsv", "a\nb\n"))
    with pytest.raises(VectorFileError, match="after its header line"):
        load_vector_files(vectors, write(tmp_path, "m2.tsv", "word\tkind\na\tx\nb\ty\nc\tz\nd\tw\n"))
    with pytest.raises(VectorFileError, match="empty"):
        load_vector_files(vectors, write(tmp_path, "m3.tsv", ""))


def test_unsafe_or_odd_npy_files_are_refused(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(VectorFileError, match="cannot be read safely"):
        read_vectors(tmp_path / "obj.npy")
    np.save(tmp_path / "flat.npy", np.arange(5.0))
    with pytest.raises(VectorFileError, match="2-D"):
        read_vectors(tmp_path / "flat.npy")
    np.save(tmp_path / "one.npy", np.ones((1, 4)))
    with pytest.raises(VectorFileError, match="one item"):
        load_vector_files(tmp_path / "one.npy")


def test_missing_files_and_text_items(tmp_path):
    with pytest.raises(VectorFileError, match="does not exist"):
        load_vector_files(tmp_path / "nope.tsv")
    assert read_text_items(write(tmp_path, "t.txt", "a cat\n\n  a dog \n")) == ["a cat", "a dog"]
    with pytest.raises(VectorFileError, match="one item"):
        read_text_items(write(tmp_path, "one.txt", "only line\n"))
    (tmp_path / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(VectorFileError, match="not UTF-8"):
        read_text_items(tmp_path / "latin1.txt")


@pytest.mark.parametrize("target", ["/proc/self/environ", "/dev/zero", "fifo", "fifo.npy"])
def test_system_files_and_pipes_are_refused_before_they_are_opened(tmp_path, target):
    import os

    from explorer.core.vector_files import VectorFileError, load_vector_files, read_text_items

    if target.startswith("fifo"):
        target = str(tmp_path / target)
        os.mkfifo(target)  # opening it for reading would block forever
    with pytest.raises(VectorFileError, match="system file|named pipe"):
        load_vector_files(target)
    with pytest.raises(VectorFileError, match="system file|named pipe"):
        read_text_items(target)
    good = tmp_path / "v.tsv"
    good.write_text("1\t2\n3\t4\n")
    with pytest.raises(VectorFileError, match="system file|named pipe"):
        load_vector_files(good, target)

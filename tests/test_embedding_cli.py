"""`llm-explorer neighbors` and `llm-explorer analogy`: JSON results with the real GloVe vectors."""
import json

from explorer.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_analogy_prints_queen_first_as_json(capsys):
    code, out, _ = run(capsys, "analogy", "--vectors", "glove-50d", "--positive", "king", "woman",
                       "--negative", "man", "--k", "5", "--json")
    assert code == 0
    results = json.loads(out)["results"]
    assert len(results) == 5 and results[0]["word"] == "queen"
    assert set(results[0]) == {"word", "score"}
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


def test_neighbors_prints_json_without_the_query_word(capsys):
    code, out, _ = run(capsys, "neighbors", "--vectors", "glove-50d", "--word", "france", "--k", "3", "--json")
    assert code == 0
    words = [r["word"] for r in json.loads(out)["results"]]
    assert len(words) == 3 and "france" not in words and "french" in words


def test_a_plain_table_without_json(capsys):
    code, out, _ = run(capsys, "neighbors", "--word", "paris", "--k", "2")
    assert code == 0 and out.splitlines()[0].strip().startswith("1.")


def test_bad_input_is_one_clear_line_and_exit_code_2(capsys):
    code, out, err = run(capsys, "neighbors", "--word", "qwzxvq", "--k", "3", "--json")
    assert code == 2 and out == "" and "'qwzxvq' is not in the vocabulary" in err
    code, _, err = run(capsys, "analogy", "--positive", "king", "--k", "0")
    assert code == 2 and "--k must be at least 1" in err
    code, _, err = run(capsys, "neighbors", "--vectors", "minilm", "--word", "king")
    assert code == 2 and "glove-50d" in err


def test_a_vectors_file_with_words_first(capsys, tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("cat 1 0\nkitten 0.9 0.1\ncar 0 1\n", encoding="utf-8")
    code, out, _ = run(capsys, "neighbors", "--vectors", str(path), "--word", "cat", "--k", "1", "--json")
    assert code == 0 and json.loads(out)["results"][0]["word"] == "kitten"
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\t2\n3\n", encoding="utf-8")
    code, _, err = run(capsys, "neighbors", "--vectors", str(bad), "--word", "x")
    assert code == 2 and "line 2" in err

"""The BM25 side: the service's scoring of bm25s's saved arrays against bm25s itself."""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np
import pytest
from bm25s.stopwords import STOPWORDS_EN

from index import IndexFormatError, store
from index.lexical import QUERY_STOPWORDS, LexicalIndex, analyse, query_terms
from index.lexical import STOPWORDS_EN as OURS

QUERIES = [
    "leadership in the NHS",
    "Leadership, leadership and LEADERSHIP",  # a repeated term counts once per mention, as in bm25s
    "nature and health",
    "the of and",  # stop words only
    "how do I keep doctors from burning out",  # question words and pronouns: query stop words
    "zzyzx quux",  # terms no passage has
    "",
]


def test_stop_words_are_bm25s_own():
    assert tuple(OURS) == tuple(STOPWORDS_EN)


def test_scores_equal_bm25s_own_on_the_saved_index(index_root: Path):
    folder = store.current_version(index_root) / store.LEXICAL_DIR
    ours = LexicalIndex.load(folder)
    theirs = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
    for query in QUERIES:
        ids = theirs.get_tokens_ids(query_terms(query))
        expected = theirs.get_scores_from_ids(ids) if ids else np.zeros(ours.size, np.float32)
        np.testing.assert_array_equal(ours.scores(query), np.asarray(expected, np.float32), err_msg=query)
    assert ours.scores("leadership").max() > 0
    assert ours.document_frequency("leadership") == int((ours.scores("leadership") > 0).sum())


def test_a_freshly_built_index_scores_like_its_saved_copy(tmp_path: Path):
    texts = ["Nurses lead change on the ward.", "Doctors and nurses share rotas.", "Gardens help recovery."]
    built = LexicalIndex.build(texts)
    built.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    for query in ("nurses", "rota change", "garden recovery nurses"):
        np.testing.assert_array_equal(built.scores(query), loaded.scores(query))
    assert int(np.argmax(loaded.scores("gardens"))) == 2
    with pytest.raises(ValueError, match="build"):
        loaded.save(tmp_path / "again")


@pytest.mark.parametrize("damage", ["method", "arrays"])
def test_a_lexical_index_this_service_cannot_score_is_refused(tmp_path: Path, damage: str):
    folder = tmp_path / "lexical"
    LexicalIndex.build(["one passage about rotas", "another about wards"]).save(folder)
    if damage == "method":
        params = json.loads((folder / "params.index.json").read_text())
        (folder / "params.index.json").write_text(json.dumps({**params, "method": "bm25+"}))
    else:
        np.save(folder / "indptr.csc.index.npy", np.array([0, 1], dtype=np.int32))
    with pytest.raises(IndexFormatError, match="rebuild"):
        LexicalIndex.load(folder)


def test_queries_drop_question_words_that_passages_keep(index_root: Path):
    ours = LexicalIndex.load(store.current_version(index_root) / store.LEXICAL_DIR)
    assert query_terms("How do I keep doctors from burning out?") == ["keep", "doctor", "burn", "out"]
    assert analyse(["How do we keep doctors"])[0] == ["how", "do", "we", "keep", "doctor"]  # passages index them
    assert "how" in ours.vocab  # the corpus has the word, yet a query never scores by it
    assert not ours.scores("how do I").any()
    assert set(STOPWORDS_EN) <= QUERY_STOPWORDS and not {"us", "who", "may", "than"} & QUERY_STOPWORDS

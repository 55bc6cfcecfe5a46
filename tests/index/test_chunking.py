"""Passages: whole sentences, bounded size, overlap, and offsets that point back into the article."""

from __future__ import annotations

import pytest

from newsbot.index.articles import make_article
from newsbot.index.chunking import ChunkingConfig, chunk_article
from newsbot.index.sentences import split_sentences

NEWS = (
    "The U.S. Senate voted 52-48 on Jan. 5 to confirm the nominee. Democrats objected. "
    "Mr. Smith said the deal was worth $4.5 billion. Shares rose 3.2% in early trading.\n\n"
    "\u201cThe factory occupies a very important position,\u201d Kim said. The agency did not specify the weapons. "
    "It happened at 3 p.m. on Friday. Police arrived soon after."
)


def test_sentences_survive_abbreviations_numbers_and_quotes() -> None:
    sentences = [s.text for s in split_sentences(NEWS)]
    assert sentences[:4] == [
        "The U.S. Senate voted 52-48 on Jan. 5 to confirm the nominee.",
        "Democrats objected.",
        "Mr. Smith said the deal was worth $4.5 billion.",
        "Shares rose 3.2% in early trading.",
    ]
    assert "\u201cThe factory occupies a very important position,\u201d Kim said." in sentences
    assert all(NEWS[s.start:s.end] == s.text for s in split_sentences(NEWS))


@pytest.mark.parametrize("text, expected", [
    ("The ferry leaves at 8 p.m. Saturday from the north quay. Tickets are free.",
     ["The ferry leaves at 8 p.m. Saturday from the north quay.", "Tickets are free."]),
    ("The vote opens at 7:30 a.m. Oct. 5 and closes at 9 p.m. ET on the same day.",
     ["The vote opens at 7:30 a.m. Oct. 5 and closes at 9 p.m. ET on the same day."]),
    ("Markets open at 10 a.m. Mondays and Fridays in June.", ["Markets open at 10 a.m. Mondays and Fridays in June."]),
    ("The storm peaked at 4 a.m. The river rose by a metre.", ["The storm peaked at 4 a.m.", "The river rose by a metre."]),
])
def test_a_clock_time_goes_on_with_its_day_date_or_zone(text: str, expected: list[str]) -> None:
    sentences = split_sentences(text, offset=7)
    assert [s.text for s in sentences] == expected
    assert all(text[s.start - 7 : s.end - 7] == s.text for s in sentences)


@pytest.mark.parametrize("text, expected", [
    ("The ferry firm hired the author J.D. Halloran as its chair. Its shares rose.",
     ["The ferry firm hired the author J.D. Halloran as its chair.", "Its shares rose."]),
    ("Its chair, J.D. Halloran, and the builder T.R. Marsh spoke.",
     ["Its chair, J.D. Halloran, and the builder T.R. Marsh spoke."]),
    ("The quay was built by the Q.R. The harbour opened in 161 A.D. Boats came.",
     ["The quay was built by the Q.R.", "The harbour opened in 161 A.D.", "Boats came."]),
])
def test_initials_keep_their_name_and_places_keep_their_stop(text: str, expected: list[str]) -> None:
    sentences = split_sentences(text, offset=3)
    assert [s.text for s in sentences] == expected
    assert all(text[s.start - 3 : s.end - 3] == s.text for s in sentences)


def sentence_edges(text: str) -> tuple[set[int], set[int]]:
    article = make_article(text, path="x")
    sentences = split_sentences(article.text)
    return {s.start for s in sentences}, {s.end for s in sentences}


@pytest.mark.parametrize("max_words,overlap", [(10, 0), (20, 5), (40, 10), (150, 30)])
def test_passages_are_whole_sentences_at_their_offsets(max_words: int, overlap: int) -> None:
    article = make_article(" ".join([NEWS] * 6), path="x")
    passages = chunk_article(article, ChunkingConfig(max_words=max_words, overlap_words=overlap))
    starts, ends = {s.start for s in split_sentences(article.text)}, {s.end for s in split_sentences(article.text)}
    for ordinal, passage in enumerate(passages):
        assert article.text[passage.start:passage.end] == passage.text
        assert passage.start in starts and passage.end in ends
        assert passage.ordinal == ordinal and passage.id == f"{article.id}:{ordinal}"
        if len(split_sentences(passage.text)) > 1:
            assert len(passage.text.split()) <= max_words
    assert passages[0].start == 0 and passages[-1].end == len(article.text)
    for before, after in zip(passages, passages[1:]):
        assert not article.text[before.end:after.start].strip(), "no text falls between passages"
        assert after.start > before.start
        shared = len(article.text[after.start:before.end].split()) if after.start < before.end else 0
        assert shared <= overlap


def test_overlap_repeats_trailing_sentences() -> None:
    article = make_article(" ".join(f"Sentence number {i} is here." for i in range(40)), path="x")
    passages = chunk_article(article, ChunkingConfig(max_words=25, overlap_words=10))
    assert all(b.start < a.end for a, b in zip(passages, passages[1:]))


def test_a_run_on_text_without_stops_is_cut_at_word_gaps() -> None:
    article = make_article(" ".join(["word"] * 500), path="x")
    passages = chunk_article(article, ChunkingConfig(max_words=100, overlap_words=0))
    assert [len(p.text.split()) for p in passages] == [100] * 5
    assert all(article.text[p.start:p.end] == p.text for p in passages)


def test_default_passages_merge_short_paragraphs_and_end_with_them() -> None:
    article = make_article(" ".join([NEWS] * 20), path="x")
    passages = chunk_article(article)
    assert all(50 <= len(p.text.split()) <= 200 for p in passages[:-1])
    assert all(article.text.startswith("\n\n", p.end) for p in passages[:-1])
    long_paragraph = make_article(" ".join([NEWS.replace("\n\n", " ")] * 20), path="x")
    assert all(150 <= len(p.text.split()) <= 200 for p in chunk_article(long_paragraph)[:-1])


def test_bad_chunking_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        ChunkingConfig(max_words=5)
    with pytest.raises(ValueError):
        ChunkingConfig(max_words=100, overlap_words=60)


def test_a_full_enough_passage_ends_with_its_paragraph() -> None:
    paragraph = " ".join(f"Paragraph sentence {i} has six words." for i in range(20))
    article = make_article(f"{paragraph}\n\n{paragraph}", path="x")
    passages = chunk_article(article, ChunkingConfig(max_words=150, overlap_words=30, paragraph_words=100))
    second_paragraph = article.text.index("\n\n") + 2
    assert [p.start for p in passages] == [0, second_paragraph]
    assert passages[0].end == second_paragraph - 2

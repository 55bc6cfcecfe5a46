"""Split articles into overlapping, sentence-aligned passages that remember where they came from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsbot.index.articles import Article
from newsbot.index.sentences import Sentence, split_sentences

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]*)*")
_WORD = re.compile(r"\S+")
RUN_ON_WORDS = 250


@dataclass(frozen=True)
class ChunkingConfig:
    """Passage size in words; a passage never cuts a sentence (`_run_on_pieces` is the one exception)."""

    # Tuned on SQuAD train (11 articles, 3,807 questions, hybrid recall@1/@5, dense weight 0.3):
    # 150/30/100 merged paragraphs and gave 0.724/0.912; whole paragraphs of up to 200 words
    # (about MiniLM's 256-token window) 0.739/0.915 (dense alone 0.582 -> 0.633); 120/30/1
    # 0.735/0.906, 400/30/1 0.747/0.918 but past the model's window.
    max_words: int = 200
    overlap_words: int = 40
    paragraph_words: int = 50

    def __post_init__(self) -> None:
        if self.max_words < 10:
            raise ValueError("passage size must be at least 10 words")
        if not 0 <= self.overlap_words < self.max_words // 2:
            raise ValueError("overlap must be between 0 and half the passage size")


@dataclass(frozen=True)
class Passage:
    """A run of whole sentences; `article.text[start:end] == text`."""

    id: str
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str


def article_sentences(text: str) -> list[Sentence]:
    """Sentences of every paragraph, with offsets into the whole text."""
    sentences: list[Sentence] = []
    for paragraph in _PARAGRAPH.finditer(text):
        sentences.extend(split_sentences(paragraph.group(), offset=paragraph.start()))
    return sentences


def _run_on_pieces(sentence: Sentence, limit: int) -> list[Sentence]:
    """A "sentence" of over `RUN_ON_WORDS` words (a table, a list without stops; more than the
    model reads at once) cut at word gaps into pieces of `limit` words."""
    words = list(_WORD.finditer(sentence.text))
    if len(words) <= RUN_ON_WORDS:
        return [sentence]
    pieces = []
    for first in range(0, len(words), limit):
        group = words[first : first + limit]
        start, end = group[0].start(), group[-1].end()
        pieces.append(Sentence(sentence.start + start, sentence.start + end, sentence.text[start:end]))
    return pieces


def chunk_article(article: Article, config: ChunkingConfig = ChunkingConfig()) -> list[Passage]:
    """Pack whole sentences into passages of at most `max_words`. A passage that reaches
    `paragraph_words` ends with its paragraph; one cut inside a paragraph repeats up to
    `overlap_words` of its trailing sentences at the start of the next."""
    units = [
        piece
        for sentence in article_sentences(article.text)
        for piece in _run_on_pieces(sentence, config.max_words)
    ]
    counts = [len(_WORD.findall(unit.text)) for unit in units]
    ends_paragraph = [article.text.startswith("\n\n", unit.end) for unit in units]
    passages: list[Passage] = []
    first = 0
    while first < len(units):
        last, words = first, 0
        while last < len(units) and (last == first or words + counts[last] <= config.max_words):
            words += counts[last]
            last += 1
            if ends_paragraph[last - 1] and words >= config.paragraph_words:
                break
        start, end = units[first].start, units[last - 1].end
        passages.append(
            Passage(
                id=f"{article.id}:{len(passages)}",
                article_id=article.id,
                ordinal=len(passages),
                start=start,
                end=end,
                text=article.text[start:end],
            )
        )
        if last == len(units):
            break
        if ends_paragraph[last - 1]:
            first = last
            continue
        resume, overlap = last, 0
        while resume - 1 > first and overlap + counts[resume - 1] <= config.overlap_words:
            resume -= 1
            overlap += counts[resume]
        first = resume
    return passages

"""Page furniture that text extraction leaves in articles: timestamps, share/follow/subscribe lines,
bylines, photo credits and captions. Recognised per sentence (the answer never quotes it) and per
paragraph (a paragraph that is nothing else is dropped when an article is read)."""

from __future__ import annotations

import re

from newsbot.index.sentences import split_sentences

_TIME = r"\d{1,2}(:\d{2})?\s*(a\.?m\.?|p\.?m\.?)"
_TIMESTAMP = re.compile(
    rf"^\W*((?i:updated|published|posted|last updated)\b|(?i:{_TIME})|\d{{1,2}}:\d{{2}}\b"
    r"|(ET|EST|EDT|PST|PDT|GMT|BST|UTC)\b)")
_TIMESTAMP_ANYWHERE = re.compile(
    rf"{_TIME}\s*(ET|EST|EDT|PT|PST|PDT|CT|GMT|BST|UTC)\b.*\b(19|20)\d\d\b", re.IGNORECASE)
_CALL_TO_ACTION = re.compile(
    r"^\W*(follow\s+(us|me|him|her|them|on|the|@|[A-Z][a-z]+\s+[A-Z])|subscribe\b|sign up\b"
    r"|share\s+(this|on|via|the|article|story|update)\b|click\s+(here|to)\b|read\s+more\b|watch:|listen:"
    r"|get (the|our|cnn)\b|support local journalism|download the\b|like us\b|join us\b"
    r"|(email|contact|reach)\s+(the\s+)?(reporter|writer|author|us|him|her)\b|advertisement\b"
    r"|story continues\b|related:|more:|(?:opinion|analysis|editorial|column):(?=\S)|copyright\b|all rights reserved)",
    re.IGNORECASE)
_ANYWHERE = re.compile(
    r"(share this (update|article|story|post)|sign up (here|for (our|free|text)\b)|newsletter\b.*\bsign up"
    r"|sign up for the\b[^.]{0,40}\b(newsletters?|email|briefing|news here)\b"
    r"|wherever you get your podcasts|you can subscribe\b"
    r"|contributed (to )?(this|the) (report|story|article)|all rights reserved|this story was (updated|originally))",
    re.IGNORECASE)
_CREDIT = re.compile(
    r"(getty images|\bap photo\b|/ap\b|/afp\b|/reuters\b|photographer:|\bphoto(graph)?s?\s*(by|credit|courtesy|:)"
    r"|image (credit|source)|courtesy of|hide caption|\bcaption\b|\bfile photo\b|shutterstock|\bimagn\b)",
    re.IGNORECASE)
_CAPTION_START = re.compile(r"^\W*(hide caption|photos?:|photo gallery|video:|image:)", re.IGNORECASE)
_NAME = r"[A-Z][\w'’.-]+"
_BYLINE = re.compile(rf"^\W*[Bb][Yy]\s+{_NAME}(\s+{_NAME}){{0,3}}\s*(,|and\b|&|\||$)")


def furniture_kind(sentence: str) -> str | None:
    """Why `sentence` is page furniture ("call to action", "credit", "timestamp", "byline"), or None."""
    text = " ".join(sentence.split())
    words = text.split()
    if _CALL_TO_ACTION.search(text) or _ANYWHERE.search(text):
        return "call to action"
    if _CAPTION_START.search(text) or (len(words) <= 14 and _CREDIT.search(text)):
        return "credit"
    if _TIMESTAMP_ANYWHERE.search(text) or (len(words) <= 12 and _TIMESTAMP.search(text)):
        return "timestamp"
    if len(words) <= 12 and _BYLINE.search(text) and not _has_lower_verb(words):
        return "byline"
    return None


def strip_furniture(body: str) -> str:
    """`body` (paragraphs split by blank lines) without the paragraphs that are page furniture and
    nothing else. A short line that starts with a clock time stays: in a schedule ("11:00 AM The
    Glides") it is content; a live blog's stamp (time, zone and year) goes."""
    return "\n\n".join(p for p in body.split("\n\n") if not _only_furniture(p))


def _only_furniture(paragraph: str) -> bool:
    sentences = [s.text for s in split_sentences(paragraph)]
    return bool(sentences) and all(
        (kind := furniture_kind(s)) is not None and (kind != "timestamp" or _TIMESTAMP_ANYWHERE.search(s))
        for s in sentences)


def _has_lower_verb(words: list[str]) -> bool:
    """A byline is names, grades and titles: two lower-case words after the first that are not
    byline words ("and", "staff", …) make a clause ("By Sunday evening, crowds had gathered")."""
    lower = [w for w in words[1:] if w[:1].islower() and w.lower() not in _BYLINE_WORDS]
    return len(lower) >= 2


_BYLINE_WORDS = frozenset(
    "and of the for at with grade seventh eighth sixth staff writer reporter editor correspondent "
    "contributor special to today usa news".split())

"""English stop words left out of keyword queries and keyword evidence, and the written words that
are terms despite them.

The list is scikit-learn's ENGLISH_STOP_WORDS (BSD-3-Clause, from the Glasgow Information Retrieval
Group), kept here as data: importing scikit-learn for it cost seconds of start-up. News needs some of
its words: `NEWS_WORDS` are nouns it lists ("fire", "bill", "interest"), and a stop word written as
part of a name ("Will Smith", "Theresa May", "the Ever Given", "the US", "the WHO") is a term.
"""

from __future__ import annotations

import re

ENGLISH_STOP_WORDS = frozenset("""
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst amoungst amount an and another any anyhow anyone anything
    anyway anywhere are around as at back be became because become becomes becoming been before
    beforehand behind being below beside besides between beyond bill both bottom but by call can
    cannot cant co con could couldnt cry de describe detail do done down due during each eg
    eight either eleven else elsewhere empty enough etc even ever every everyone everything
    everywhere except few fifteen fifty fill find fire first five for former formerly forty
    found four from front full further get give go had has hasnt have he hence her here
    hereafter hereby herein hereupon hers herself him himself his how however hundred i ie if in
    inc indeed interest into is it its itself keep last latter latterly least less ltd made many
    may me meanwhile might mill mine more moreover most mostly move much must my myself name
    namely neither never nevertheless next nine no nobody none noone nor not nothing now nowhere
    of off often on once one only onto or other others otherwise our ours ourselves out over own
    part per perhaps please put rather re same see seem seemed seeming seems serious several she
    should show side since sincere six sixty so some somehow someone something sometime
    sometimes somewhere still such system take ten than that the their them themselves then
    thence there thereafter thereby therefore therein thereupon these they thick thin third this
    those though three through throughout thru thus to together too top toward towards twelve
    twenty two un under until up upon us very via was we well were what whatever when whence
    whenever where whereafter whereas whereby wherein whereupon wherever whether which while
    whither who whoever whole whom whose why will with within without would yet you your yours
    yourself yourselves
""".split())

# Nouns of the list above that news asks about: a wildfire, a bill in Congress, interest rates.
NEWS_WORDS = frozenset("""
    amount back bill bottom call fire front interest mill move name part serious show side system top
""".split())
STOP_WORDS = (ENGLISH_STOP_WORDS - NEWS_WORDS) | {"did", "does", "doing", "s", "t"}
# Function words stay stop words even inside a name: "The New York Times", "Bank of England".
_NEVER_NAMES = frozenset("a an and as at by for from in into of on or the to with".split())
_WORD = re.compile(r"\w+", re.UNICODE)
_OPENS = re.compile(r"(?:^|[.!?:;\"“”(\[]\s*)$")


def terms(text: str) -> list[str]:
    """The text's words, lower case, but its stop words: those written as part of a name are kept
    (an acronym in capitals, or a capitalised word beside another capitalised word, not opening a
    sentence), since "US" and "Will" are then names, not "us" and "will"."""
    words = list(_WORD.finditer(text))
    shouting = text.isupper()
    kept = []
    for i, match in enumerate(words):
        word = match.group()
        lower = word.lower()
        if lower not in STOP_WORDS or (lower not in _NEVER_NAMES and _in_name(text, words, i, shouting)):
            kept.append(lower)
    return kept


def _in_name(text: str, words: list[re.Match], i: int, shouting: bool) -> bool:
    word = words[i].group()
    if len(word) > 1 and word.isupper() and word.isalpha():
        return not shouting
    if not word[0].isupper() or i == 0 or _OPENS.search(text[words[i - 1].end():words[i].start()]):
        return False
    beside = [words[j].group() for j in (i - 1, i + 1) if j < len(words)]
    return any(w[0].isupper() and w.lower() not in STOP_WORDS for w in beside)

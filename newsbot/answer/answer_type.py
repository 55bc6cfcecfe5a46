"""What a question asks for (a person or organisation, a date, a number, an amount of money, a place,
a name) and, by rules, the candidates of that type in a sentence: capitalised names, dates, numbers,
amounts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from newsbot.answer.terms import unaccented

PERSON, DATE, NUMBER, AMOUNT, PLACE, NAME = "person", "date", "number", "amount", "place", "name"

_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec")
_DAYS = "monday tuesday wednesday thursday friday saturday sunday"
_MONTH_RE = r"(?:" + "|".join(w.capitalize() for w in _MONTHS.split()) + r")(?:\.|\b)"
_DAY_RE = r"(?:" + "|".join(w.capitalize() for w in _DAYS.split()) + r")"
_DATE_WORDS = frozenset(_MONTHS.split()) | frozenset(_DAYS.split())

_PLACE_NOUNS = ("country countries city cities state states nation continent town county island province "
                "region capital village river mountain ocean sea lake place location neighborhood borough "
                "territory district")
_PERSON_NOUNS = ("president actor actress singer rapper player senator governor leader artist author star "
                 "celebrity musician ceo quarterback coach justice judge candidate lawmaker politician athlete "
                 "billionaire comedian host person man woman director official minister king queen prince "
                 "princess pope founder chancellor mayor spokesperson")
_ORG_NOUNS = ("company companies firm brand team group band organization organisation agency party network "
              "airline retailer automaker carmaker university school college newspaper league club bank "
              "app platform broadcaster studio chain")

_AUX = r"(?:is|was|are|were|do|does|did|has|have|had|will|would|can|could|should|the|a|an|of|to|in)"
_WHICH = rf"\b(?:what|which) (?:(?!{_AUX}\b)[a-z-]+ ){{0,2}}"
_RULES: tuple[tuple[str, bool, re.Pattern], ...] = tuple(
    (kind, confident, re.compile(pattern)) for kind, confident, pattern in (
        (DATE, True, r"\b(what|which|in what|in which) (year|decade|century|date|day|month|time)\b"
                     r"|\bwhen\b|\bhow long ago\b"),
        (AMOUNT, True, r"\bhow much (?:money |cash )?(?:[\w'’-]+ ){0,8}?(?:cost|costs|worth|pay|paid|spend|spent|raise|raised"
                       r"|fund|funding|fine|fined|charge|charged|sell|sold|bid|offer|offered|earn|earned|value)\b"
                       r"|\bhow much money\b|\bwhat (?:price|sum)\b|\bwhat (?:is|was|will be) the (?:price|cost)\b"),
        (NUMBER, True, r"\bhow (many|much|old|far|tall|big|large|high|deep|fast)\b|\bhow long\b"
                       r"|\bwhat (percentage|percent|share|proportion|number|amount|fraction|price|age)\b"),
        (PLACE, True, rf"\bwhere\b|{_WHICH}({'|'.join(_PLACE_NOUNS.split())})\b"),
        (PERSON, True, rf"\b(who|whom|whose)\b|{_WHICH}({'|'.join(_PERSON_NOUNS.split())})\b"),
        (NAME, True, rf"{_WHICH}({'|'.join(_ORG_NOUNS.split())})\b"),
        (NAME, False, r"\bwhich (?!(is|was|are|were|do|does|did|has|have|had|of)\b)[a-z]+\b"
                      r"|\bwhat (is|was) the name\b|\bwhat name\b"),
    ))


@dataclass(frozen=True)
class Expected:
    """The type of answer a question asks for; `confident` when a question word fixes it."""

    kind: str | None
    confident: bool = False


def expected_type(question: str) -> Expected:
    """The answer type asked by the question's last clauses that a rule matches: of the rules that
    match there, the one whose question word comes first."""
    clauses = [c for c in re.split(r"(?<=[.!?])\s+", question.strip()) if c.strip()]
    for first in reversed(range(len(clauses))):
        text = " ".join(" ".join(clauses[first:]).lower().replace("’", "'").split())
        found = [(m.start(), i, kind, confident) for i, (kind, confident, rule) in enumerate(_RULES)
                 for m in [rule.search(text)] if m]
        if found:
            _, _, kind, confident = min(found)
            return Expected(kind, confident)
    return Expected(None)


_CONNECTOR = r"(?:\s+(?:of|the|de|da|del|van|von|la|le|al|bin|&|for)){0,2}"
_CAP = r"[A-Z][\w'’.&-]*[\w]"
_NAME_RE = re.compile(rf"(?<![\w'’]){_CAP}(?:{_CONNECTOR}\s+{_CAP})*")
_START_WORDS = frozenset(
    "the a an in on at of for to from by with as and but or so if it its he she they we i you his her "
    "their our this that these those there here when while after before since during then also however "
    "although though because yet according last next one two many some most all both each new until unlike "
    "additional additionally meanwhile today yesterday later earlier now instead despite like among under over "
    "about around between through without within where what who which why how such other another every "
    "several few more only even just still not no much first second third finally overall following "
    "including once whether during its".split())
_YEAR = r"\b(?:1[5-9]\d\d|20\d\d)s?\b"
_DATE_RE = re.compile(
    rf"\b{_MONTH_RE}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?\b)?(?:,?\s+\d{{4}})?|\b\d{{1,2}}\s+{_MONTH_RE}(?:\s+\d{{4}})?"
    rf"|{_YEAR}|\b{_DAY_RE}\b|\b\d{{1,2}}(?:st|nd|rd|th) century\b|\b\d{{1,2}}:\d{{2}}\b")
_NUMBER_WORDS = ("two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                 "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
                 "hundred hundreds thousand thousands million millions billion billions trillion dozen dozens "
                 "half")
# A sum after a currency sign, e.g. $1.2bn: an amount, and a number too.
_MONEY = r"[$£€¥]\s?\d[\d,.]*(?:\s*(?:million|billion|trillion|thousand|[mbk]n?)\b)?"
_NUMBER_RE = re.compile(
    _MONEY
    + r"|\b\d[\d,.]*(?:\s*(?:%|percent\b|per cent\b|million\b|billion\b|trillion\b|thousand\b))?"
    rf"|\b(?:{'|'.join(_NUMBER_WORDS.split())})\b", re.IGNORECASE)
_AMOUNT_RE = re.compile(
    _MONEY
    + r"|\b\d[\d,.]*\s*(?:(?:million|billion|trillion|thousand)\s+)?(?:dollars|pounds|euros|yen|rupees|francs)\b",
    re.IGNORECASE)
_PLACE_BEFORE = re.compile(r"\b(?:in|at|from|near|across|throughout|into|outside|inside|to)\s+$")
_PLACE_SUFFIX = re.compile(
    r"\b(?:City|County|River|Island|Islands|Mountains|Sea|Ocean|Lake|Province|Valley|Bay|Street|Park|Beach)$")


def names(sentence: str) -> list[str]:
    """Capitalised word sequences that are not a sentence's opening word, a date or a pronoun."""
    found: list[str] = []
    for match in _NAME_RE.finditer(sentence):
        text = match.group()
        words = text.split()
        while words and (words[0].lower() in _START_WORDS or words[0].lower().rstrip(".") in _DATE_WORDS):
            words = words[1:]
        while words and words[-1].lower() in ("of", "the", "and", "&", "for"):
            words = words[:-1]
        if words and not all(w.lower().rstrip(".") in _DATE_WORDS for w in words):
            found.append(re.sub(r"['’]s?$", "", " ".join(words)))
    return found


def candidates(sentence: str, kind: str | None) -> list[str]:
    """The parts of `sentence` that could answer a question asking for `kind`."""
    if kind == DATE:
        return [m.group() for m in _DATE_RE.finditer(sentence)]
    if kind == NUMBER:
        dates = [m.span() for m in _DATE_RE.finditer(sentence)]
        return [m.group().rstrip(".,") for m in _NUMBER_RE.finditer(sentence)
                if not any(a <= m.start() < b for a, b in dates)]
    if kind == AMOUNT:
        return [m.group().rstrip(".,") for m in _AMOUNT_RE.finditer(sentence)]
    if kind == PLACE:
        return [n for n in names(sentence) if _is_place(sentence, n)]
    if kind in (PERSON, NAME):
        return names(sentence)
    return []


def new_candidates(sentence: str, expected: Expected, question: str) -> list[str]:
    """Candidates of the expected type in `sentence` whose words are not all in the question."""
    asked = _asked(question)
    seen: dict[str, str] = {}
    for candidate in candidates(sentence, expected.kind):
        words = _words(candidate)
        if words and not set(words) <= asked:
            seen.setdefault(candidate_key(candidate), candidate)
    return list(seen.values())


def candidate_key(candidate: str) -> str:
    """One spelling of a candidate: "Beyoncé's" and "Beyonce" are the same answer."""
    return " ".join(_words(candidate))


def _is_place(sentence: str, name: str) -> bool:
    if name in _PLACES or _PLACE_SUFFIX.search(name):
        return True
    return any(_PLACE_BEFORE.search(sentence[: m.start()]) for m in re.finditer(rf"\b{re.escape(name)}\b(?! [A-Z])", sentence))


@lru_cache(maxsize=64)
def _asked(question: str) -> frozenset[str]:
    """The question's words, found once for all the sentences whose candidates are checked against them."""
    return frozenset(_words(question))


def _words(text: str) -> list[str]:
    """Lower-case words without accents or possessive 's: Beyoncé's and Beyonce are one word."""
    plain = unaccented(text.lower())
    return re.findall(r"[a-z0-9]+", plain.replace("'s", "").replace("’s", ""))


_PLACES = frozenset(line.strip() for line in """
Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|Illinois
Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri
Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma
Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington
West Virginia|Wisconsin|Wyoming|America|United States|U.S.|US|USA|Canada|Mexico|Brazil|Argentina|Chile|Peru
Colombia|Venezuela|Cuba|Haiti|Britain|England|Scotland|Wales|Ireland|UK|U.K.|France|Germany|Spain|Portugal
Italy|Greece|Netherlands|Belgium|Switzerland|Austria|Poland|Sweden|Norway|Denmark|Finland|Iceland|Russia
Ukraine|Belarus|Turkey|Israel|Gaza|Palestine|Lebanon|Syria|Iraq|Iran|Saudi Arabia|Egypt|Libya|Sudan|Ethiopia
Kenya|Nigeria|South Africa|Morocco|Algeria|Afghanistan|Pakistan|India|China|Japan|Korea|North Korea|South Korea
Taiwan|Vietnam|Thailand|Indonesia|Philippines|Malaysia|Singapore|Australia|New Zealand|Europe|Asia|Africa
Antarctica|London|Paris|Berlin|Rome|Madrid|Moscow|Kyiv|Beijing|Tokyo|Delhi|Chicago|Los Angeles|Boston
Houston|Miami|Seattle|Atlanta|Dallas|Philadelphia|Detroit|Denver|Phoenix|San Francisco|Las Vegas
""".replace("\n", "|").split("|") if line.strip())

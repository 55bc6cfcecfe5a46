"""Compare sentence splitters on news sentences with abbreviations, numbers and quotes.

Run by hand: `python bench/sentences.py`. Splitters that are not installed are skipped
(`pip install pysbd nupunkt syntok` to compare them all).
"""

import importlib.util
import time

GOLD = [
 ["The U.S. Senate voted 52-48 on Jan. 5 to confirm the nominee.", "Democrats objected."],
 ["Mr. Smith said the deal was worth $4.5 billion.", "Shares rose 3.2% in early trading."],
 ["\"We will not back down,\" Kim said.", "The agency did not elaborate."],
 ["It happened at 3 p.m. on Friday in Washington, D.C.", "Police arrived soon after."],
 ["Dr. Jane Doe of the W.H.O. warned of a new wave.", "Cases have doubled since Feb. 1."],
 ["The company, Acme Inc., reported a loss.", "Its rival, Foo Corp., did not comment."],
 ["\"Is this the end?\" she asked.", "Nobody answered."],
 ["He was born in St. Louis in 1975.", "He moved to N.Y. later."],
 ["Gen. Mark Milley met Lt. Col. Vindman on Sept. 3.", "The meeting lasted an hour."],
 ["The vote was 6-3.", "Justice Roberts wrote the opinion (joined by four others)."],
 ["Prices rose 0.5 percent in Oct., the Labor Dept. said.", "Economists expected 0.4 percent."],
 ["Apple Inc. shares hit a record.", "The iPhone maker is now worth $3 trillion."],
 ["“The factory occupies a very important position,” Kim said.", "The agency did not specify the weapons."],
 ["The U.K. and the E.U. agreed a deal.", "It takes effect on Jan. 1, 2021."],
 ["Pyongyang has not tested any ICBMs since 2017.", "Talks stalled after a failed summit in 2019."],
 ["Sales reached 1.2m units, up from 900,000.", "Analysts at J.P. Morgan were surprised."],
 ["She said: \"I am leaving.\"", "Then she left."],
 ["The storm hit at approx. 4 a.m.", "Over 10,000 homes lost power."],
 ["Polls close at 8 p.m. ET Tuesday in most states.", "Results come later."],
 ["The Ohio senator J.D. Vance spoke on Monday.", "The crowd cheered."],
]
def run(name: str, split) -> None:
    ok = 0; t = 0.0; bad = []
    for g in GOLD:
        text = " ".join(g)
        t0 = time.perf_counter(); out = [s.strip() for s in split(text) if s.strip()]; t += time.perf_counter() - t0
        if out == g: ok += 1
        else: bad.append(out)
    print(f"{name:10s} {ok}/{len(GOLD)}  {t*1000:.1f} ms")
    for b in bad[:20]: print("    ", b)


def syntok_split(text: str) -> list[str]:
    from syntok import segmenter

    return ["".join(tok.spacing + tok.value for tok in sentence).strip()
            for paragraph in segmenter.analyze(text) for sentence in paragraph]


def splitters() -> dict:
    found = {}
    if importlib.util.find_spec("sentencex"):
        import sentencex

        found["sentencex"] = lambda text: list(sentencex.segment("en", text))
        from newsbot.index.sentences import split_sentences

        # sentencex, with clock times and initials joined to what follows them
        found["newsbot"] = lambda text: [s.text for s in split_sentences(text)]
    if importlib.util.find_spec("pysbd"):
        import pysbd

        found["pysbd"] = pysbd.Segmenter(language="en", clean=False).segment
    if importlib.util.find_spec("nupunkt"):
        import nupunkt

        found["nupunkt"] = nupunkt.sent_tokenize
    if importlib.util.find_spec("syntok"):
        found["syntok"] = syntok_split
    return found


if __name__ == "__main__":
    for name, split in splitters().items():
        run(name, split)

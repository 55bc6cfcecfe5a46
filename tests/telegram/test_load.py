"""Load: 200 questions from 50 users arriving at once, through the real bot and engine over real HTTP.

Every question must get exactly one answer, and the event loop must stay responsive: a ticker
task sleeps 10 ms again and again and the overshoot (the loop's lag) must stay under 100 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from harness import replies, run, running
from botapi_stub import BotApiStub

from newsbot.telegram.state import BotState

USERS = 50
PER_USER = 4
TICK = 0.010
MAX_LAG = 0.100
QUESTIONS = {
    "What did the library add?": ("rooftop", "makerspace"),
    "How much did the Valemont container terminal cost?": ("Valemont",),
    "What destroyed the apricot blossom?": ("frost",),
    "What pay offer did the train drivers accept?": ("6.5 percent",),
}


async def ticker(lags: list[float], stop: asyncio.Event) -> None:
    """Sleep `TICK` over and over, recording by how much each sleep overshot."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(TICK)
        lags.append(time.perf_counter() - started - TICK)


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def test_two_hundred_questions_from_fifty_users_at_once(stub: BotApiStub, make_newsbot, reliability) -> None:
    bot: BotState = make_newsbot(questions_per_minute=PER_USER * 10)
    assert bot.settings.questions_per_minute > PER_USER, "the per-user limit must not answer for the bot"
    asked = list(QUESTIONS)
    lags: list[float] = []

    def push_all() -> None:
        for round_ in range(PER_USER):
            for user in range(USERS):
                stub.push_message(asked[(user + round_) % PER_USER], user_id=20_000 + user)

    async def scenario() -> tuple[float, float]:
        stop = asyncio.Event()
        async with running(bot, stub):
            ticking = asyncio.create_task(ticker(lags, stop))
            while len(lags) < 10:
                await asyncio.sleep(TICK)
            pushed = time.time()
            await asyncio.to_thread(push_all)
            await stub.wait_for_async("sendMessage", count=USERS * PER_USER, ok=True, timeout=100)
        stop.set()
        await ticking
        return pushed, time.time()
    pushed, finished = run(scenario())

    sent = replies(stub)
    assert len(sent) == USERS * PER_USER, "one answer per question, none twice"
    for user in range(USERS):
        texts = [m["text"] for m in sent if m["chat_id"] == 20_000 + user]
        assert len(texts) == PER_USER
        for words in QUESTIONS.values():
            assert sum(any(w in text for w in words) for text in texts) >= 1, (user, words, texts)
    latencies = sorted(call.time - pushed for call in stub.calls if call.method == "sendMessage" and call.ok)
    p50, p95 = percentile(latencies, 0.50), percentile(latencies, 0.95)
    ready = [ms / 1000 for ms in bot.log.latencies()]
    assert len(ready) == USERS * PER_USER
    assert max(lags) < MAX_LAG, f"the event loop stalled for {max(lags) * 1000:.0f} ms"
    reliability.row("Load", users=USERS, questions=USERS * PER_USER, answered=len(sent),
                    **{"answer threads": bot.settings.answer_threads, "ticks": len(lags),
                       "max loop lag (ms)": f"{max(lags) * 1000:.1f}",
                       "p99 loop lag (ms)": f"{percentile(lags, 0.99) * 1000:.1f}",
                       "answer ready p50 / p95 (s)": f"{percentile(ready, 0.5):.2f} / {percentile(ready, 0.95):.2f}",
                       "p50 answer latency (s)": f"{p50:.2f}", "p95 answer latency (s)": f"{p95:.2f}",
                       "all answered after (s)": f"{max(latencies):.2f}"})

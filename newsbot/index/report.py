"""What an ingest run did: the one report that ingest fills and its progress display reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsbot.index.articles import LoadProblem

KEPT_PROBLEMS = 1000


@dataclass
class IngestReport:
    """What one ingest run did. `problems` keeps the first `KEPT_PROBLEMS` problems, so a huge file
    of bad lines costs no memory; `problem_count` counts them all. `headlines`: the headlines stored
    for articles indexed before headlines were."""

    added: int = 0
    updated: int = 0
    duplicates: int = 0
    passages: int = 0
    problems: list[LoadProblem] = field(default_factory=list)
    problem_count: int = 0
    seconds: float = 0.0
    headlines: int = 0

    def problem(self, problem: LoadProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < KEPT_PROBLEMS:
            self.problems.append(problem)

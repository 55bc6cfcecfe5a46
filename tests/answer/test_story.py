"""An open question about a story ("What happened to …?", "What did … do?") is answered first with
the story's lead, as news writing puts what happened first; a question for one fact of it is not."""

from __future__ import annotations

import datetime as dt

from newsbot.answer.story import asks_for_story, lead_of

TODAY = dt.date(2025, 3, 12)
LEAD = "Salvage crews on Sunday freed the ferry Northern Star, which had been stuck on a sandbank off Tilby for four days."
OWNER = "The Northern Star, a 90-metre ferry, is owned by the Harwick Ferry Company."
ARTICLES = [  # the first article is titled by its first sentence, as the user's text files are
    ("2025-03-09", LEAD,
     f"{LEAD} Its 200 passengers had been taken off by lifeboat on Thursday.\n\n"
     f"{OWNER} It sails between Tilby and the islands twice a day.\n\n"
     "Engineers will inspect the hull this week before it carries passengers again."),
    ("2025-03-01", "Tilby library extends its hours",
     "The Tilby library will open until eight on weekdays from April, the council said."),
]


def test_what_happened_to_a_subject_is_answered_with_its_story_lead(module_engine) -> None:
    answer = module_engine.answer("What happened to the Northern Star?", today=TODAY)
    assert not answer.abstained and answer.parts[0].text == LEAD
    cited = answer.citations[answer.parts[0].citations[0] - 1]
    assert cited.start == 0 and cited.date == dt.date(2025, 3, 9)


def test_a_question_for_one_fact_keeps_the_sentence_that_answers_it(module_engine) -> None:
    answer = module_engine.answer("Who owns the Northern Star?", today=TODAY)
    assert answer.parts[0].text == OWNER


def test_open_questions_and_others() -> None:
    for question in ("What happened to the Ever Given?", "What did the ECB do?", "what has happened with the bridge",
                     "Tell me about the Artemis launch", "What is going on with the Suez Canal?"):
        assert asks_for_story(question), question
    for question in ("What happened in 1066?", "Who owns the ferry?", "What did the ECB do with rates in July?",
                     "What happened?", "What did she say about the vote?"):
        assert not asks_for_story(question), question


def test_the_lead_is_the_opening_sentence_that_tells_the_titles_story() -> None:
    opening = ["She could not sleep that night.", "Photo: Harbour Office", "Salvage crews freed the ferry on Sunday."]
    assert lead_of("Salvage crews free stranded ferry", opening) == 2
    assert lead_of("A quiet week", opening) == 0, "the first quotable sentence when none shares the title's words"

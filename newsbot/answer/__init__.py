"""The answer engine: from a question and the passages search found to a short `Answer` whose every
sentence is cited, or an honest "not found"; time words, evidence scoring and the answer types."""

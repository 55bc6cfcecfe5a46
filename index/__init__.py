"""The passage index: articles in, passages and vectors stored, hits out."""

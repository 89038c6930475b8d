"""Caption signals from spaCy's en_core_web_sm: counts of objects (nouns, proper nouns),
attributes (adjectives) and actions (verbs), the text-complexity signal of caption heuristics,
and noun chunks (phrases to ground, Kosmos-2 style). Tags only: curate applies no threshold."""
from __future__ import annotations

from typing import Any

from udfs.common.spacy_pipelines import pipeline

OBJECTS = ("NOUN", "PROPN")


def signals(texts: list[str | None], model: str) -> list[dict[str, Any]]:
    """One dict per text (``n_nouns``, ``n_adjectives``, ``n_verbs``, ``noun_chunks``), the texts
    through one ``nlp.pipe``."""
    nlp = pipeline("tagger", model)
    out = []
    for doc in nlp.pipe((t or "" for t in texts), batch_size=256):
        pos = [token.pos_ for token in doc]
        out.append({"n_nouns": sum(p in OBJECTS for p in pos), "n_adjectives": pos.count("ADJ"),
                    "n_verbs": pos.count("VERB"), "noun_chunks": [chunk.text for chunk in doc.noun_chunks]})
    return out

"""Sentences for MMC4: a document's text positions split into sentences with spaCy.

English documents use the installed ``en_core_web_sm`` pipeline's sentence boundaries (its
``senter`` by default, or the full ``parser``); other languages, and ``mmc4.sentences:
sentencizer``, use spaCy's rule-based sentencizer. Lines are hard boundaries (headings and list
items have no final stop).
"""
from __future__ import annotations

from typing import Iterable

from udfs.common.spacy_pipelines import pipeline

ENGLISH = "en"


def mode_for(lang: str | None, configured: str) -> str:
    """The splitter a document gets: the configured one for English, else the sentencizer."""
    return configured if lang == ENGLISH else "sentencizer"


def lines(texts: Iterable[str | None]) -> tuple[list[str], list[int]]:
    """The non-blank lines of a document's text positions, and the position each comes from."""
    out, positions = [], []
    for position, text in enumerate(texts):
        for line in (text or "").split("\n"):
            if line.strip():
                out.append(line.strip())
                positions.append(position)
    return out, positions


def split_lines(text_lines: list[str], mode: str, model: str) -> list[list[str]]:
    """Each line's sentences (stripped, none empty), one spaCy ``pipe`` over all the lines."""
    nlp = pipeline(mode, model)
    return [[s.text.strip() for s in doc.sents if s.text.strip()] for doc in nlp.pipe(text_lines, batch_size=256)]


def split_documents(documents: list[tuple[list[str | None], str | None]], mode: str,
                    model: str) -> list[tuple[list[str], list[int]]]:
    """(sentences, text position of each) per document given as (texts, lang); the documents'
    lines go through spaCy together, per splitter."""
    per_doc = [lines(texts) for texts, _ in documents]
    result: list[tuple[list[str], list[int]]] = [([], []) for _ in documents]
    for splitter in {mode_for(lang, mode) for _, lang in documents}:
        chosen = [i for i, (_, lang) in enumerate(documents) if mode_for(lang, mode) == splitter]
        flat = [line for i in chosen for line in per_doc[i][0]]
        split = iter(split_lines(flat, splitter, model))
        for i in chosen:
            sentences, positions = [], []
            for position in per_doc[i][1]:
                found = next(split)
                sentences += found
                positions += [position] * len(found)
            result[i] = (sentences, positions)
    return result

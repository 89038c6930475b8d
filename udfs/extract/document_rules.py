"""Which documents go on (tag, then mix): one decision from a document's stored signals and the
extract settings. Extraction stores every signal as a ``docs`` column and fills ``keep`` and
``drop_reasons`` with ``decide``; the dedup stage decides again with the settings of its own
run, so changed document thresholds, languages, image counts or rule sets
(``extract.document_rules``: obelics, gopher, c4, fineweb, whose signals are all stored) need no
new extraction.

A None signal never drops a document: a word list missing for a language, a perplexity that
was not computed (changing ``extract.kenlm_model`` needs a new extraction to take effect), a
signal a hand-made row does not carry. A rule set whose signals a table lacks altogether
(extracted before weft measured them) is an error where the table is read again
(``jobs.tables.decided_documents``), never a silent keep.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

import pyarrow as pa

from schemas.quality_signals import FAMILY_VERSIONS, QUALITY_COLUMNS
from udfs.extract.quality_rules import quality_reasons
from udfs.common.settings import ExtractSettings
from udfs.extract.text_filters import TextSignals, text_reasons

TEXT_SIGNALS = tuple(f.name for f in dataclasses.fields(TextSignals))
QUALITY_SIGNALS = tuple(c.name for c in QUALITY_COLUMNS)
SIGNALS = ("n_paragraphs", "n_images", "lang", "lang_score", "perplexity", *TEXT_SIGNALS,
           *QUALITY_SIGNALS)  # the docs columns a decision reads
FLOAT32_SIGNALS = ("lang_score", "perplexity", *(s for s in TEXT_SIGNALS if s != "n_words"),
                   *(c.name for c in QUALITY_COLUMNS if pa.types.is_floating(c.type)))


def family_signals(family: str) -> tuple[str, ...]:
    """The ``docs`` columns a rule set reads beyond the OBELICS ones (none for obelics)."""
    prefix = f"{FAMILY_VERSIONS[family]}_" if family in FAMILY_VERSIONS else None
    return tuple(name for name in QUALITY_SIGNALS if prefix and name.startswith(prefix))


def stored(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The signals of ``doc`` as the ``docs`` table holds them (float32), so the decision made at
    extract time is the one a later stage makes again from the table."""
    out = {name: doc.get(name) for name in SIGNALS}
    for name in FLOAT32_SIGNALS:
        value = out[name]
        out[name] = None if value is None or (isinstance(value, float) and math.isnan(value)) \
            else float(np.float32(value))
    return out


def decide(doc: Mapping[str, Any], extract: ExtractSettings) -> list[str]:
    """The document rules ``doc`` fails under ``extract`` (the ExtractSettings), in a fixed
    order: no text, the text rule sets of ``extract.document_rules`` in their order, language,
    image counts, perplexity; [] keeps it. ``doc`` maps SIGNALS to stored values; a rule whose
    signal is None (not stored) fails nothing."""
    lang, score, n_images, perplexity = doc["lang"], doc["lang_score"], doc["n_images"], doc["perplexity"]
    reasons = ["no_text"] if doc["n_paragraphs"] == 0 else []
    for family in extract.document_rules:
        if family == "obelics":
            reasons += text_reasons(TextSignals(**{name: doc[name] for name in TEXT_SIGNALS}), extract.document)
        else:
            reasons += quality_reasons(doc, family, getattr(extract, family))
    if extract.languages and lang is not None and (
            lang not in extract.languages or (score is not None and score < extract.min_lang_score)):
        reasons.append("language")
    if extract.require_images and n_images is not None and n_images < max(extract.min_images, 1):
        reasons.append("no_images")
    if n_images is not None and n_images > extract.max_images:
        reasons.append("too_many_images")
    if extract.kenlm_model and perplexity is not None and perplexity > extract.max_perplexity:
        reasons.append("perplexity")
    return reasons


def decider(extract: ExtractSettings) -> Callable:
    """A pandas UDF body: a frame of SIGNALS columns → each document's ``drop_reasons``."""
    def drop_reasons(signals: pd.DataFrame) -> pd.Series:
        rows = signals.astype(object).where(signals.notna(), None).to_dict("records")
        return pd.Series([decide(stored(row), extract) for row in rows], index=signals.index)

    return drop_reasons

"""Signals of the Gopher, C4 and FineWeb document rules (datatrove's definitions), one column each.

``udfs.extract.quality_rules.quality_signals`` measures them at extract time; ``quality_reasons`` turns
stored values and a family's thresholds into drop reasons. A name carries its family's version
(``gopher_v1_…``): a change in how a signal is measured gets a new version, so old tables stay
comparable. Ratios are float32; null where the text has nothing to measure (no words, no lines).
"""
import pyarrow as pa

from schemas.table import Column

FAMILY_VERSIONS = {"gopher": "gopher_v1", "c4": "c4_v1", "fineweb": "fineweb_v1"}

_G, _C, _F = (f"{FAMILY_VERSIONS[f]}_" for f in ("gopher", "c4", "fineweb"))

QUALITY_COLUMNS: tuple[Column, ...] = (
    # GopherQualityFilter: over words as datatrove splits them (punctuation marks are words)
    Column(_G + "word_count", pa.int32(), "Gopher: words with a character that is not punctuation"),
    Column(_G + "mean_word_length", pa.float32(), "Gopher: mean length of those words; null without any"),
    Column(_G + "hash_word_ratio", pa.float32(), "Gopher: '#' characters per word (punctuation words too)"),
    Column(_G + "ellipsis_word_ratio", pa.float32(), "Gopher: '...' and '…' per word"),
    Column(_G + "bullet_lines_ratio", pa.float32(), "Gopher: share of lines (blank ones too) starting with • or -"),
    Column(_G + "ellipsis_lines_ratio", pa.float32(), "Gopher: share of lines ending with '...' or '…'"),
    Column(_G + "alpha_words_ratio", pa.float32(), "Gopher: share of words with at least one letter"),
    Column(_G + "stop_words", pa.int32(), "Gopher: how many of its 8 English stop words occur (0-8)"),
    # GopherRepetitionFilter
    Column(_G + "dup_para_frac", pa.float32(),
           "Gopher: share of paragraphs (split on blank lines) repeating an earlier one"),
    Column(_G + "dup_para_char_frac", pa.float32(), "Gopher: characters of those paragraphs / text characters"),
    Column(_G + "dup_line_frac", pa.float32(), "Gopher: share of lines repeating an earlier line"),
    Column(_G + "dup_line_char_frac", pa.float32(), "Gopher: characters of those lines / text characters"),
    *(Column(f"{_G}top_{n}gram_char_frac", pa.float32(),
             f"Gopher: characters of the most frequent word {n}-gram, times its count, / text characters")
      for n in (2, 3, 4)),
    *(Column(f"{_G}dup_{n}gram_char_frac", pa.float32(),
             f"Gopher: characters in repeated word {n}-grams (greedy, no overlaps) / text characters")
      for n in (5, 6, 7, 8, 9, 10)),
    # C4QualityFilter: what its document rules see after its line rules
    Column(_C + "sentences", pa.int32(), "C4: sentences in the lines its line rules keep"),
    Column(_C + "lines_kept", pa.int32(), "C4: lines its line rules keep"),
    Column(_C + "lines_removed", pa.int32(), "C4: non-blank lines its line rules remove"),
    Column(_C + "lorem_ipsum", pa.bool_(), "C4: a line passing the punctuation and length rules has 'lorem ipsum'"),
    Column(_C + "curly_bracket", pa.bool_(), "C4: such a line, not about javascript, has '{'"),
    # FineWebQualityFilter
    Column(_F + "lines", pa.int32(), "FineWeb: non-blank lines"),
    Column(_F + "line_punct_ratio", pa.float32(), "FineWeb: share of non-blank lines ending in terminal punctuation"),
    Column(_F + "short_line_ratio", pa.float32(), "FineWeb: share of non-blank lines of 30 characters or fewer"),
    Column(_F + "char_dup_ratio", pa.float32(),
           "FineWeb: characters of repeated lines / characters of the text without line breaks"),
    Column(_F + "list_ratio", pa.float32(), "FineWeb: line breaks per word"),
)

"""Gopher, C4 and FineWeb document rules as datatrove defines them, split into signals and decisions.

``quality_signals(text, lang)`` measures every signal the three rule sets look at (one value per
column of ``schemas.quality_signals.QUALITY_COLUMNS``, names versioned ``gopher_v1_…``,
``c4_v1_…``, ``fineweb_v1_…``); ``quality_reasons(signals, family, thresholds)`` applies one rule
set's thresholds to stored signals (tag, then mix). The families and their peers in datatrove
(``src/datatrove/pipeline/filters/``):

* ``gopher``: GopherQualityFilter and GopherRepetitionFilter (Rae et al. 2021, table A1);
* ``c4``: C4QualityFilter (Raffel et al. 2020) with its line rules at datatrove's defaults:
  lines split on line breaks, citations removed, kept lines end in . ? ! " ' (not ...), have at
  least 3 words and no word over 1000 characters, and mention neither javascript nor a cookie or
  terms-of-use phrase. The line rules shape the signals, so changing one of them is ``c4_v2``;
  only the document rules (sentences, lorem ipsum, curly bracket) are thresholds;
* ``fineweb``: FineWebQualityFilter (Penedo et al. 2024). Line length 30 and the
  terminal punctuation set are part of ``fineweb_v1``; the ratios are thresholds.

Words. datatrove splits words with ``load_word_tokenizer(language)``: spaCy's rule-based
tokenizer (``spacy.blank(lang)``, no model) for English and most languages written with spaces,
jieba for Chinese, SudachiPy for Japanese, pythainlp, Stanza and others for a few more.
Punctuation marks are words there (``split_into_words("Hi, you.")`` is ``["Hi", ",", "you",
"."]``), which moves Gopher's alpha-word ratio and n-grams and FineWeb's list ratio. That path
costs datatrove ~4 µs a character and the segmenters need their own packages and dictionaries,
so ``tokens`` is one regular expression that follows spaCy's English rules instead: split on
whitespace; prefixes (opening brackets and quotes, currency, § % = — –), suffixes (closing
marks, 's, units after a number, a final period after a lower-case letter, a digit, a mark or
two capitals), infixes (hyphens and dashes before a letter, a comma between letters, a period
between a lower-case and a capital letter, : / < > = before a letter, + - * ^ between digits,
ellipses); symbols (Unicode So) are words of their own; URLs, names with a domain ending,
emoticons spaCy merges ("):"), common abbreviations (Mr., e.g., a.m., single letters) stay
whole; English contractions split as spaCy's exceptions do ("have" "n't", "can" "not"). On the
bundled pages it gives spaCy's words for all but 0.05% of 370,000 (a URL with a path, "y2k").
Other languages get the same rules without the English exceptions. Chinese and Japanese get a
word per Han or kana character (spaCy's own default for Chinese): jieba's words average ~1.5
characters, where spaCy's English rules would make a whole run between marks one word. Sentences
(for C4) follow spaCy's sentencizer: a new one at the first word that is not punctuation after
an end mark standing as a word of its own. Decisions on the bundled pages (texts cut at 20,000
characters) agree with datatrove's for 474 of 474 documents (Gopher), 474/474 (C4) and 470/474
(FineWeb: Chinese and Japanese pages; tests/unit/test_quality_oracle.py explains each).

Floating-point signals are rounded to float32 (their column type) before they are returned,
and ``quality_reasons`` compares them with float32 thresholds, so a decision made at extract
time equals one made later from the stored column (datatrove compares float64: a ratio of
exactly 3/10 against 0.3 keeps in both). A None signal never drops a document.
"""
from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any, Mapping

import numpy as np
import pyarrow as pa

from schemas.quality_signals import FAMILY_VERSIONS, QUALITY_COLUMNS
from udfs.common.settings import C4Thresholds, FineWebThresholds, GopherThresholds

# --- character sets --------------------------------------------------------------------------

# datatrove's TERMINAL_PUNCTUATION: Unicode's Sentence_Terminal characters (of an older Unicode)
# plus the Khmer signs ៖ ៙ ៚. FineWeb's line punctuation rule and, minus a few, spaCy's
# sentencizer use them (tests/unit/test_quality_oracle.py checks both sets against the sources).
_TERMINAL_RANGES = (
    "21 2E 3F 589 61D-61F 6D4 700-702 7F9 837 839 83D-83E 964-965 104A-104B 1362 1367-1368 166E 1735-1736 "
    "17D4-17D6 17D9-17DA 1803 1809 1944-1945 1AA8-1AAB 1B5A-1B5B 1B5E-1B5F 1B7D-1B7E 1C3B-1C3C 1C7E-1C7F "
    "203C-203D 2047-2049 2E2E 2E3C 2E53-2E54 3002 A4FF A60E-A60F A6F3 A6F7 A876-A877 A8CE-A8CF A92F A9C8-A9C9 "
    "AA5D-AA5F AAF0-AAF1 ABEB FE52 FE56-FE57 FF01 FF0E FF1F FF61 10A56-10A57 10F55-10F59 10F86-10F89 "
    "11047-11048 110BE-110C1 11141-11143 111C5-111C6 111CD 111DE-111DF 11238-11239 1123B-1123C 112A9 "
    "1144B-1144C 115C2-115C3 115C9-115D7 11641-11642 1173C-1173E 11944 11946 11A42-11A43 11A9B-11A9C "
    "11C41-11C42 11EF7-11EF8 11F43-11F44 16A6E-16A6F 16AF5 16B37-16B38 16B44 16E98 1BC9F 1DA88")
# the ones spaCy's sentencizer does not split on
_NOT_SENTENCIZER_RANGES = ("61D-61E 837 839 83D-83E 17D4-17D6 17D9-17DA 1B7D-1B7E 2E53-2E54 10F55-10F59 "
                           "10F86-10F89 11944 11946 11EF7-11EF8 11F43-11F44 16E98")


def _code_points(ranges: str) -> frozenset[str]:
    out = set()
    for item in ranges.split():
        first, _, last = item.partition("-")
        out.update(chr(c) for c in range(int(first, 16), int(last or first, 16) + 1))
    return frozenset(out)


TERMINAL_PUNCTUATION = _code_points(_TERMINAL_RANGES)
SENTENCE_ENDS = TERMINAL_PUNCTUATION - _code_points(_NOT_SENTENCIZER_RANGES)
# datatrove's PUNCTUATION_SET: a Gopher word made only of these is no word. ASCII punctuation,
# C0 and C1 controls except tab and line feed, some typographic and full-width marks.
PUNCTUATION_SET = frozenset(string.punctuation + "«´»–—’“”„…∶━►、。〈〉《》「」【】！％（），．１：；？～"
                            + "".join(chr(c) for c in [*range(0, 9), *range(11, 32), *range(127, 160)])
                            ) | TERMINAL_PUNCTUATION
GOPHER_STOP_WORDS = frozenset(["the", "be", "to", "of", "and", "that", "have", "with"])  # Gopher's, English
FINEWEB_LINE_ENDS = tuple(sorted(TERMINAL_PUNCTUATION))  # fineweb_v1: a line "ends in punctuation"
FINEWEB_SHORT_LINE = 30  # fineweb_v1: a line of at most 30 characters is short
C4_MIN_WORDS_PER_LINE = 3  # c4_v1 line rules (datatrove's C4QualityFilter defaults)
C4_MAX_WORD_LENGTH = 1000
C4_LINE_ENDS = (".", "?", "!", '"', "'")
C4_POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
C4_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
TOP_NGRAMS = (2, 3, 4)
# datatrove's splits \n{2,} and \n+, written to start with a literal: re then searches for it
# instead of trying the pattern at every character (7 ns a word instead of 46)
_PARAGRAPH_BREAK = re.compile("\n\n\n*")
_LINE_BREAK = re.compile("\n\n*")
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)

_COLUMN_NAMES = tuple(c.name for c in QUALITY_COLUMNS)
_FLOAT_COLUMNS = frozenset(c.name for c in QUALITY_COLUMNS if pa.types.is_floating(c.type))

# the settings each family's rules take (extract.gopher, extract.c4, extract.fineweb)
THRESHOLDS = {"gopher": GopherThresholds, "c4": C4Thresholds, "fineweb": FineWebThresholds}

# --- tokenizer -------------------------------------------------------------------------------


def _class_ranges(codes) -> str:
    """A regex character class body for sorted code points, as ranges."""
    runs: list[list[int]] = []
    for c in codes:
        if runs and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in runs)


def _esc(chars: str) -> str:
    return "".join("\\" + c if c in "\\]^-[" else c for c in chars)


@lru_cache(maxsize=1)
def _unicode_classes() -> dict[str, str]:
    """Lower- and upper-case letters and symbols (So) of the BMP, as class bodies (a class of
    BMP characters is one table lookup in ``re``; one reaching past it is a scan of ranges)."""
    lower, upper, icons = [], [], []
    for c in range(0x80, 0x10000):
        cat = unicodedata.category(chr(c))
        if cat == "Ll":
            lower.append(c)
        elif cat in ("Lu", "Lt"):
            upper.append(c)
        elif cat == "So" and c != 0xB0:  # spaCy keeps ° with its number
            icons.append(c)
    return {"lower": "a-z" + _class_ranges(lower), "upper": "A-Z" + _class_ranges(upper),
            "icons": _class_ranges(icons)}


_QUOTES = "'\"”“`‘´’‚,„»«「」『』（）〔〕【】《》〈〉〈〉⟦⟧"
_PUNCT = "…,:;!?¿؟¡()[]{}<>_#*&。？！，、；：～·।،۔؛٪"
_CURRENCY = "$£€¥฿₽﷼₴₠₡₢₣₤₥₦₧₨₩₪₫₭₮₯₰₱₲₳₵₶₷₸₹₺₻₼₾₿"
_UNITS = ("km|km²|km³|m|m²|m³|dm|cm|mm|µm|nm|ha|yd|in|ft|kg|g|mg|µg|t|lb|oz|m/s|km/h|kmh|mph|hPa|Pa|mbar|mb|"
          "MB|kb|KB|gb|GB|tb|TB|T|G|M|K|%")
_CJK = r"\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ASTRAL_ICONS = r"\U0001F000-\U0001FAFF"  # emoji and other pictographs
# spaCy merges these marks back into one word where they meet: "(optional):" ends in "):"
_EMOTICONS = "|".join(re.escape(e) for e in ("):", ":))", ":)", ":(", ";)", ":/", "=)", ":-)", ":-(", "''"))
# a period that ends one of these stays with it (spaCy's English exceptions): "Mr." is one word
_ABBREVIATIONS = (
    "Mr Ms Dr St Jr Co Mt Ak Ga Ia Id Ky La Md Mo Pa Va vs co Mrs Adm Ala Apr Ark Aug Dec Del Feb Fla Gen Gov Ill "
    "Inc Ind Jan Jul Jun Kan Ltd Mar Neb Nev Nov Oct Ore Rep Rev Sen Sep Wis Bros Corp Ariz Colo Conn Kans Mass "
    "Mich Minn Miss Mont Nebr Okla Prof Sept Tenn Wash Calif Messrs e.g i.e a.m p.m E.g E.G I.e I.E v.s Ph.D"
).split()


def _abbreviation_guard() -> str:
    """Negative lookbehinds, placed after a period, for the abbreviations and single lower-case
    letters ("a." is one word in spaCy, "n't." is not); one per length, as Python's must be
    fixed-width."""
    by_length: dict[int, list[str]] = {}
    for name in _ABBREVIATIONS:
        by_length.setdefault(len(name), []).append(re.escape(name))
    opening = _esc("([{<«“‘「『（【《〈\"")  # a letter after one of these (or a space) starts a chunk
    guards = [r"(?<!^[a-zäöü]\.)", rf"(?<![\s{opening}][a-zäöü]\.)"]
    guards += [rf"(?<!\b(?:{'|'.join(names)})\.)" for _, names in sorted(by_length.items())]
    return "".join(guards)


@lru_cache(maxsize=4)
def _token_pattern(mode: str) -> re.Pattern:
    """The word tokenizer for ``mode``: "en" (contractions split), "cjk" (a word per Han or kana
    character) or "base". Each alternative starts with the characters it can start with, so
    ``re`` leaves most of them after one lookup; the common shapes (a word before a space, a
    word before closing marks, a mark before a space) come first."""
    u = _unicode_classes()
    lower, upper = u["lower"], u["upper"]
    icon = f"[{u['icons']}{_ASTRAL_ICONS}]"
    alpha = r"[^\W\d_]"
    word = rf"[^\W_{_CJK}]" if mode == "cjk" else r"[^\W_]"  # "_" is punctuation for spaCy
    pre = _esc("§%=—–" + _PUNCT + _QUOTES + _CURRENCY) + u["icons"] + _ASTRAL_ICONS
    starts = rf"(?<![^\s{pre}].)"  # after the consumed character: it opens a chunk, or follows a prefix
    suffix = (rf"\.\.++|{_EMOTICONS}|[{_esc(_PUNCT + _QUOTES + '—–')}{u['icons']}{_ASTRAL_ICONS}]|['’][sS]"
              + (r"|['’](?:[mMdDtT]|re|RE|Re|ve|VE|ll|LL)" if mode == "en" else "")
              + rf"|[+%{_esc(_CURRENCY)}](?<=\d.)"
              + rf"|\.(?<=[{lower}\d%²\-+{_esc(_PUNCT + _QUOTES)}]\.){_abbreviation_guard()}"
              + rf"|\.(?<=[{upper}][{upper}]\.)")
    tail = rf"(?:{suffix})*+(?!\S)"  # the rest of the chunk is suffixes
    infix = (rf"\.\.++|…|{icon}|[+\-*^](?<=\d.)(?=[\d-])"
             rf"|\.(?<=[{lower}{_esc(_QUOTES)}]\.)(?=[{upper}{_esc(_QUOTES)}])(?!{tail})"  # not in the closing marks
             rf"|,(?<={alpha},)(?={alpha})"
             rf"|[-–—~](?<=[^\W_].)(?:(?<=-)-{{1,2}}|(?<=—)—)?(?={alpha})"
             rf"|[:<>=/](?<=[^\W_].)(?={alpha})")
    stop = rf"(?:{suffix})(?={tail})|{infix}"
    guard = _abbreviation_guard().replace(r"\.)", ")")
    url_end = rf"[^\s.{_esc(_PUNCT + _QUOTES + '—–')}]"
    alternatives = [
        *([f"[{_CJK}]"] if mode == "cjk" else []),
        rf"\d{starts}\d*+(?:[.,]\d++)*+(?=(?:{_UNITS})(?:{tail}))",  # 10km: the number, then the unit
        rf"{word}++(?!\S)",  # most words: letters and digits up to a space
        r"""[.,;:!?)\]}"”’'](?!\S)""",  # a mark that ends a chunk
        rf"a{starts}nd/or(?={tail})|8{starts}\)(?={tail})|P{starts}h\.D\.(?={tail})",  # spaCy's exceptions
        rf"""{word}++(?=[,;:!?)\]"”’']++(?!\S))""",  # a word before such marks
        rf"""{word}++(?=\.[,;:!?)\]"”’']*+(?!\S))(?<=[a-z\d]){guard}""",  # a word before a final period
        rf"(?:h{starts}ttps?://|w{starts}ww\.|f{starts}tp://)\S*{url_end}",  # URLs, less closing marks
        rf"\.{starts}\.++|\+{starts}(?!\d)|'{starts}'|[{pre}]{starts}",  # prefixes
        rf"(?:{suffix})(?={tail})",  # suffixes
        infix,
        # names with a top-level domain stay whole, hyphens and all (spaCy's URL rule): my-file.txt
        rf"[^\W_]{starts}[\w\-]*(?:\.[\w\-]+)*\.[a-z]{{2,63}}(?={tail})",
        rf"(?:{word}++|(?!{stop})[^\s\w]|(?!{stop})_)++",  # the rest of a chunk, up to a suffix or an infix
        r"\S",
    ]
    return re.compile(r"\s*+(" + "|".join(f"(?:{a})" for a in alternatives) + ")")


def _mode(lang: str) -> str:
    return "en" if lang == "en" else "cjk" if lang in ("zh", "ja") else "base"


def _english_splits() -> dict[str, tuple[str, str]]:
    """spaCy's English words that are two words without their apostrophe: "dont" is "do" "nt"."""
    pairs = [("can", "not"), ("gon", "na"), ("got", "ta"), ("ca", "nt"), ("wo", "nt"), ("sha", "nt"), ("ai", "nt"),
             ("i", "d"), ("i", "m"), ("i", "ve"), ("he", "d"), ("he", "s"), ("she", "s"), ("it", "d"), ("it", "ll"),
             ("we", "d"), ("we", "ve")]
    pairs += [(verb, "nt") for verb in ("do", "does", "did", "is", "was", "are", "were", "have", "has", "had",
                                        "could", "would", "should", "must", "might", "need", "ought", "dare", "may")]
    pairs += [(verb, "ve") for verb in ("could", "would", "should", "must", "might")]
    endings = {"you": "d ll re ve", "they": "d ll re ve", "that": "d ll s", "there": "d ll re s ve",
               "these": "d ll re ve", "those": "d ll re ve", "this": "d ll s", "what": "d ll re s ve",
               "when": "d ll re s ve", "where": "d ll re s ve", "why": "d ll re s ve", "how": "d ll re s ve",
               "who": "d ll s ve"}
    pairs += [(stem, end) for stem, ends in endings.items() for end in ends.split()]
    splits = {a + b: (a, b) for a, b in pairs}
    splits.update({a.capitalize() + b: (a.capitalize(), b) for a, b in pairs})
    splits.update({f"{h}{m}": (str(h), m) for h in range(1, 13) for m in ("am", "pm")})  # 10am: "10" "am"
    return splits


_ENGLISH_SPLITS = _english_splits()


def _english(words: list[str], text: str) -> list[str]:
    """spaCy's English exceptions that the pattern leaves out: "haven't" is "have" "n't" (the
    pattern splits at the apostrophe, so "have" would not count as a stop word), "cannot" is
    "can" "not". Returns a new list where it changes a word."""
    copied = False
    for mark in ("'t", "’t", "'T", "’T"):
        if mark in text:
            if not copied:
                words, copied = list(words), True
            for at in _indices(words, mark):
                before = words[at - 1] if at else ""
                if len(before) > 1 and before[-1] in "nN":
                    words[at - 1], words[at] = before[:-1], before[-1] + mark
    if not _ENGLISH_SPLITS.keys().isdisjoint(words):
        found = _ENGLISH_SPLITS.keys() & set(words)
        at = sorted(i for w in found for i in _indices(words, w))
        spliced: list[str] = []
        previous = 0
        for i in at:
            spliced += words[previous:i]
            spliced += _ENGLISH_SPLITS[words[i]]
            previous = i + 1
        words = spliced + words[previous:]
    return words


def _indices(items: list[str], item: str) -> list[int]:
    """Where ``item`` occurs in ``items`` (list.index scans at C speed)."""
    out, at = [], -1
    while True:
        try:
            at = items.index(item, at + 1)
        except ValueError:
            return out
        out.append(at)


def _line_tokens(lines: list[str], lang: str) -> list[list[str]]:
    """Each line's words as the pattern splits them (a word never spans a line break, and one
    call per line costs about what one call on the text does)."""
    findall = _token_pattern(_mode(lang)).findall
    return [findall(line) for line in lines]


def tokens(text: str, lang: str = "en") -> list[str]:
    """Words as datatrove splits them for Gopher and FineWeb, punctuation marks included (see
    the module docstring)."""
    words = _token_pattern(_mode(lang)).findall(text)
    return _english(words, text) if _mode(lang) == "en" else words


# --- per-word character counts ---------------------------------------------------------------

_SYMBOL, _ALPHA, _PUNCT_CATEGORY, _SENTENCE_END = 1, 2, 4, 8
_TABLE_SIZE = 0x30000  # BMP and the two supplementary planes; a rarer code point is looked up alone
_HASH_BASE = np.uint64(0x100000001B3)


def _flags(ch: str) -> int:
    return ((_SYMBOL if ch in PUNCTUATION_SET else 0) | (_ALPHA if ch.isalpha() else 0)
            | (_PUNCT_CATEGORY if unicodedata.category(ch).startswith("P") else 0)
            | (_SENTENCE_END if ch in SENTENCE_ENDS else 0))


_FIELD = 21  # bits per count in a packed sum: a word of 2 million characters would overflow it


def _packed(flags: np.ndarray) -> np.ndarray:
    """Flags as one int64 whose sums count three things at once: datatrove punctuation,
    letters and Unicode punctuation characters, one field each."""
    f = flags.astype(np.int64)
    return (f & _SYMBOL) + ((f & _ALPHA) >> 1 << _FIELD) + ((f & _PUNCT_CATEGORY) >> 2 << 2 * _FIELD)


@lru_cache(maxsize=1)
def _flag_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per code point: the flags (datatrove punctuation, letter as str.isalpha, Unicode
    punctuation as spaCy's is_punct, sentencizer end mark) and their packed counts."""
    flags = np.fromiter((_flags(chr(c)) for c in range(_TABLE_SIZE)), dtype=np.uint8, count=_TABLE_SIZE)
    return flags, _packed(flags)


@dataclass(frozen=True)
class _Words:
    """The words of a text as arrays: length, characters that are datatrove punctuation,
    letters, Unicode punctuation, whether the word is one sentencizer end mark, and a 64-bit id
    (Python's string hash: random-looking, so n-gram keys built from ids collide only by chance,
    with odds of about 1 in 10^12 for a page's n-grams, which would merge two counts)."""

    length: np.ndarray
    symbols: np.ndarray
    letters: np.ndarray
    puncts: np.ndarray
    sentence_end: np.ndarray
    ids: np.ndarray | None


def _words(words: list[str], ids: bool = True) -> _Words:
    """Counts per word from one pass over their characters (joined by line feeds, in no word)."""
    codes = np.frombuffer(("\n".join(words) + "\n").encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    ends = np.flatnonzero(codes == 10)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    length = ends - starts
    flags, packed = _flag_tables()
    capped = np.minimum(codes, _TABLE_SIZE - 1)
    first = flags[capped[starts]]
    if codes.max() >= _TABLE_SIZE or length.max() >= 1 << _FIELD:  # rare code points, or a huge word
        every = flags[capped]
        rare = np.flatnonzero(codes >= _TABLE_SIZE)
        every[rare] = [_flags(chr(c)) for c in codes[rare]]
        first = every[starts]
        sums = tuple(np.add.reduceat((every & bit).astype(np.int64), starts) // bit
                     for bit in (_SYMBOL, _ALPHA, _PUNCT_CATEGORY))
    else:
        total = np.add.reduceat(packed[capped], starts)
        mask = (1 << _FIELD) - 1
        sums = (total & mask, (total >> _FIELD) & mask, total >> 2 * _FIELD)
    word_ids = np.fromiter(map(hash, words), dtype=np.int64, count=len(words)).view(np.uint64) if ids else None
    return _Words(length, sums[0], sums[1], sums[2], (length == 1) & ((first & _SENTENCE_END) > 0), word_ids)


# --- repetition ------------------------------------------------------------------------------


def _duplicates(items: list[str]) -> tuple[int, int]:
    """(items repeating an earlier one, their characters): Gopher's duplicate counts."""
    counts = Counter(items)
    return len(items) - len(counts), sum(len(x) * (c - 1) for x, c in counts.items() if c > 1)


_FEW = 48  # up to this many keys, a Counter beats a sort


def _repeated(positions: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The positions (ascending) whose key occurs more than once among ``keys``, with the count
    and the key of each."""
    if len(keys) <= _FEW:
        key_list = keys.tolist()
        counts = Counter(key_list)
        keep = [i for i, k in enumerate(key_list) if counts[k] > 1]
        return positions[keep], np.array([counts[key_list[i]] for i in keep], dtype=np.int64), keys[keep]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    new_run = np.empty(len(keys), dtype=bool)
    new_run[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new_run[1:])
    run = np.cumsum(new_run) - 1
    count_of = np.empty(len(keys), dtype=np.int64)
    count_of[order] = np.bincount(run)[run]
    keep = count_of > 1
    return positions[keep], count_of[keep], keys[keep]


def _ngram_signals(ids: np.ndarray, length: np.ndarray, n_chars: int) -> dict[str, float | None]:
    """Gopher's n-gram fractions (n-grams of words, punctuation words included). An n-gram that
    repeats has its (n-1)-gram at the same position and at the next one repeat, so each size only
    counts the positions the size below left, and keys grow in place there."""
    out: dict[str, float | None] = {}
    n_words = len(ids)
    cum = np.zeros(n_words + 1, dtype=np.int64)
    np.cumsum(length, out=cum[1:])
    keys = ids.copy()  # keys[p]: the key of the current size's n-gram at p (kept up to date where it matters)
    positions = np.arange(max(n_words - 1, 0))
    for n in range(2, max(DUP_NGRAMS) + 1):
        if n_words < n:
            out.update({_top(n): None} if n in TOP_NGRAMS else {_dup(n): 0.0})
            continue
        if n > 2 and len(positions):
            mark = np.zeros(n_words, dtype=bool)
            mark[positions] = True
            positions = positions[mark[positions + 1]]
        if not len(positions):  # nothing repeats: the top n-gram is the first one, once
            if n in TOP_NGRAMS:
                out[_top(n)] = (int(cum[n]) + n - 1) / n_chars
            else:
                out[_dup(n)] = 0.0
            continue
        if n == 2:  # every position: slices, not an index
            keys[:-1] = keys[:-1] * _HASH_BASE + ids[1:]
            positions, counts, found = _repeated(positions, keys[:-1])
        else:
            keys[positions] = keys[positions] * _HASH_BASE + ids[positions + n - 1]
            positions, counts, found = _repeated(positions, keys[positions])
        if n in TOP_NGRAMS:
            top = int(counts.max()) if len(counts) else 1
            first = int(positions[counts == top][0]) if len(counts) else 0  # Counter: the first seen wins a tie
            out[_top(n)] = top * (int(cum[first + n] - cum[first]) + n - 1) / n_chars  # joined by spaces
        if n in DUP_NGRAMS:
            out[_dup(n)] = _greedy_duplicate_chars(positions, found, cum, n) / n_chars
    return out


def _greedy_duplicate_chars(positions: np.ndarray, keys: np.ndarray, cum: np.ndarray, n: int) -> int:
    """Gopher's duplicated n-gram characters: scan left to right; an n-gram seen before counts
    its characters (joined without spaces) and the scan jumps past it, so counted n-grams do not
    overlap, and the ones jumped over are never seen. Only an n-gram that repeats can count or
    be seen again, so only those positions are visited."""
    seen: set[int] = set()
    resume = total = 0
    chars = (cum[positions + n] - cum[positions]).tolist()
    for p, key, size in zip(positions.tolist(), keys.tolist(), chars):
        if p < resume:
            continue
        if key in seen:
            total += size
            resume = p + n
        else:
            seen.add(key)
    return total


def _top(n: int) -> str:
    return f"gopher_v1_top_{n}gram_char_frac"


def _dup(n: int) -> str:
    return f"gopher_v1_dup_{n}gram_char_frac"


# --- signals ---------------------------------------------------------------------------------


def _c4(lines: list[str], per_line: list[list[str]], lang: str, words: _Words) -> dict[str, Any]:
    """C4's line rules (datatrove's order), then what its document rules need. ``words``: the
    arrays of the lines' words, in order."""
    kept: list[int] = []
    cleaned_lines: list[str] = []  # kept lines that lost a citation: their words change
    removed = 0
    lorem = curly = False
    for i, line in enumerate(lines):
        line = line.strip()
        if not line:
            continue
        if len(line) > C4_MAX_WORD_LENGTH and any(len(w) > C4_MAX_WORD_LENGTH for w in line.split()):
            removed += 1
            continue
        cleaned = C4_CITATION.sub("", line) if "[" in line else line
        if (not cleaned.endswith(C4_LINE_ENDS) or cleaned.endswith("...")
                or len(line.split(None, C4_MIN_WORDS_PER_LINE)) < C4_MIN_WORDS_PER_LINE):  # before citations go
            removed += 1
            continue
        lower = cleaned.lower()
        if "lorem ipsum" in lower:
            lorem = True
        if "javascript" in lower:
            removed += 1
            continue
        if "{" in cleaned:
            curly = True
        if any(map(lower.__contains__, C4_POLICY)):
            removed += 1
            continue
        if cleaned == line:
            kept.append(i)
        else:
            cleaned_lines.append(cleaned)
    sentences = 0
    if kept:
        sentences += int(_sentences_per_line(words, [len(x) for x in per_line])[kept].sum())
    if cleaned_lines:
        cleaned_words = _line_tokens(cleaned_lines, lang)
        sentences += int(_sentences_per_line(_words([w for x in cleaned_words for w in x], ids=False),
                                             [len(x) for x in cleaned_words]).sum())
    return {"c4_v1_sentences": sentences, "c4_v1_lines_kept": len(kept) + len(cleaned_lines),
            "c4_v1_lines_removed": removed, "c4_v1_lorem_ipsum": lorem, "c4_v1_curly_bracket": curly}


def _sentences_per_line(words: _Words, line_lengths: list[int]) -> np.ndarray:
    """Sentences of each line as datatrove counts them for C4 (spaCy's sentencizer): one, plus one
    at each word that is not punctuation after an end mark (. ! ? and the like as a word of their
    own) in the same line."""
    n_lines = len(line_lengths)
    line_of_word = np.repeat(np.arange(n_lines), line_lengths)
    at = np.arange(len(line_of_word)) + line_of_word + 1  # each word moves past one stand-in per line so far
    end = np.zeros(len(at) + n_lines, dtype=bool)
    end[at] = words.sentence_end
    plain = np.zeros(len(end), dtype=bool)
    plain[at] = ~words.sentence_end & (words.puncts < words.length)  # spaCy's is_punct is false
    line_start = np.ones(len(end), dtype=bool)  # the stand-ins, where each line starts
    line_start[at] = False
    anchors = np.flatnonzero(plain | line_start)  # line starts and plain words, in order
    ends_between = np.diff(np.cumsum(end)[anchors])  # end marks between each anchor and the one before
    new = (ends_between > 0) & plain[anchors[1:]]
    line_of = np.cumsum(line_start)[anchors[1:]] - 1
    return 1 + np.bincount(line_of[new], minlength=len(line_lengths))


def quality_signals(text: str, lang: str) -> dict[str, Any]:
    """Every Gopher, C4 and FineWeb signal of a document text (blocks joined by blank lines),
    keyed by the names of ``schemas.quality_signals.QUALITY_COLUMNS``; floats rounded to float32."""
    out: dict[str, Any] = dict.fromkeys(_COLUMN_NAMES)
    lines = text.splitlines()
    per_line = _line_tokens(lines, lang)
    line_words = list(chain.from_iterable(per_line))
    words = _english(line_words, text) if _mode(lang) == "en" else line_words
    n_words = len(words)
    # GopherQualityFilter
    out["gopher_v1_word_count"] = 0
    out["gopher_v1_stop_words"] = len(GOPHER_STOP_WORDS.intersection(words))
    w = _words(words) if n_words else None
    if w is not None:
        real = w.symbols < w.length  # not only punctuation
        n_real = int(np.count_nonzero(real))
        out["gopher_v1_word_count"] = n_real
        out["gopher_v1_mean_word_length"] = float(w.length[real].mean()) if n_real else None
        out["gopher_v1_hash_word_ratio"] = text.count("#") / n_words
        out["gopher_v1_ellipsis_word_ratio"] = (text.count("...") + text.count("…")) / n_words
        out["gopher_v1_alpha_words_ratio"] = int(np.count_nonzero(w.letters)) / n_words
    if lines:
        out["gopher_v1_bullet_lines_ratio"] = sum(x.lstrip().startswith(("•", "-")) for x in lines) / len(lines)
        out["gopher_v1_ellipsis_lines_ratio"] = sum(x.rstrip().endswith(("...", "…")) for x in lines) / len(lines)
    # GopherRepetitionFilter
    if text:
        paragraphs = _PARAGRAPH_BREAK.split(text.strip())
        dup, dup_chars = _duplicates(paragraphs)
        out["gopher_v1_dup_para_frac"] = dup / len(paragraphs)
        out["gopher_v1_dup_para_char_frac"] = dup_chars / len(text)
        gopher_lines = _LINE_BREAK.split(text)
        dup, dup_chars = _duplicates(gopher_lines)
        out["gopher_v1_dup_line_frac"] = dup / len(gopher_lines)
        out["gopher_v1_dup_line_char_frac"] = dup_chars / len(text)
        if w is not None:
            out.update(_ngram_signals(w.ids, w.length, len(text)))
        else:
            out.update({_dup(n): 0.0 for n in DUP_NGRAMS})
    # C4QualityFilter: on the lines' own words (the English exceptions add words, never marks)
    if n_words == len(line_words):
        c4_words = w
    else:
        c4_words = _words(line_words, ids=False)
    out.update(_c4(lines, per_line, lang, c4_words))
    # FineWebQualityFilter
    fw_lines = [x for x in text.split("\n") if x.strip()]
    out["fineweb_v1_lines"] = len(fw_lines)
    if fw_lines:
        out["fineweb_v1_line_punct_ratio"] = sum(x.endswith(FINEWEB_LINE_ENDS) for x in fw_lines) / len(fw_lines)
        out["fineweb_v1_short_line_ratio"] = sum(len(x) <= FINEWEB_SHORT_LINE for x in fw_lines) / len(fw_lines)
        out["fineweb_v1_char_dup_ratio"] = _duplicates(fw_lines)[1] / (len(text) - text.count("\n"))
        out["fineweb_v1_list_ratio"] = text.count("\n") / n_words if n_words else None
    floats = [k for k in _FLOAT_COLUMNS if out[k] is not None]
    out.update(zip(floats, np.array([out[k] for k in floats], dtype=np.float32).tolist()))
    return out


# --- decisions -------------------------------------------------------------------------------


def _above(value, limit) -> bool:
    """``value > limit`` as float32 (how the column stores it); a None on either side never fails."""
    return value is not None and limit is not None and np.float32(value) > np.float32(limit)


def _below(value, limit) -> bool:
    return value is not None and limit is not None and np.float32(value) < np.float32(limit)


def _gopher_reasons(s: Mapping[str, Any], t: GopherThresholds) -> list[tuple[str, bool]]:
    g = "gopher_v1_"
    words, mean = s[g + "word_count"], s[g + "mean_word_length"]
    return [
        ("gopher_too_few_words", _below(words, t.min_doc_words)),
        ("gopher_too_many_words", _above(words, t.max_doc_words)),
        ("gopher_short_words", _below(mean, t.min_avg_word_length)),
        ("gopher_long_words", _above(mean, t.max_avg_word_length)),
        ("gopher_too_many_hashes", _above(s[g + "hash_word_ratio"], t.max_symbol_word_ratio)),
        ("gopher_too_many_ellipsis", _above(s[g + "ellipsis_word_ratio"], t.max_symbol_word_ratio)),
        ("gopher_too_many_bullets", _above(s[g + "bullet_lines_ratio"], t.max_bullet_lines_ratio)),
        ("gopher_too_many_end_ellipsis", _above(s[g + "ellipsis_lines_ratio"], t.max_ellipsis_lines_ratio)),
        ("gopher_few_alpha_words", _below(s[g + "alpha_words_ratio"], t.min_alpha_words_ratio)),
        ("gopher_few_stop_words", _below(s[g + "stop_words"], t.min_stop_words)),
        ("gopher_dup_para_frac", _above(s[g + "dup_para_frac"], t.dup_para_frac)),
        ("gopher_dup_para_char_frac", _above(s[g + "dup_para_char_frac"], t.dup_para_char_frac)),
        ("gopher_dup_line_frac", _above(s[g + "dup_line_frac"], t.dup_line_frac)),
        ("gopher_dup_line_char_frac", _above(s[g + "dup_line_char_frac"], t.dup_line_char_frac)),
        *((f"gopher_top_{n}gram", _above(s[_top(n)], getattr(t, f"top_{n}gram_char_frac"))) for n in TOP_NGRAMS),
        *((f"gopher_dup_{n}gram", _above(s[_dup(n)], getattr(t, f"dup_{n}gram_char_frac"))) for n in DUP_NGRAMS),
    ]


def _c4_reasons(s: Mapping[str, Any], t: C4Thresholds) -> list[tuple[str, bool]]:
    return [
        ("c4_lorem_ipsum", t.filter_lorem_ipsum and bool(s["c4_v1_lorem_ipsum"])),
        ("c4_curly_bracket", t.filter_curly_bracket and bool(s["c4_v1_curly_bracket"])),
        ("c4_too_few_sentences", _below(s["c4_v1_sentences"], t.min_num_sentences)),
    ]


def _fineweb_reasons(s: Mapping[str, Any], t: FineWebThresholds) -> list[tuple[str, bool]]:
    f = "fineweb_v1_"
    punct = s[f + "line_punct_ratio"]
    return [
        ("fineweb_empty", s[f + "lines"] == 0),
        ("fineweb_line_punct_ratio", _below(punct, t.line_punct_thr)
         and not (t.line_punct_exclude_zero and punct == 0)),
        ("fineweb_short_line_ratio", _above(s[f + "short_line_ratio"], t.short_line_thr)),
        ("fineweb_char_dup_ratio", _above(s[f + "char_dup_ratio"], t.char_duplicates_ratio)),
        ("fineweb_list_ratio", _above(s[f + "list_ratio"], t.new_line_ratio)),
    ]


_REASONS = {"gopher": _gopher_reasons, "c4": _c4_reasons, "fineweb": _fineweb_reasons}


def quality_reasons(signals: Mapping[str, Any], family: str, thresholds) -> list[str]:
    """The rules of ``family`` ("gopher", "c4" or "fineweb") that ``signals`` (stored columns)
    fail under ``thresholds`` (the family's settings: ``extract.gopher``, ``extract.c4``,
    ``extract.fineweb``), in a fixed order (datatrove's order of checks; Gopher's quality rules
    before its repetition rules); [] keeps the document."""
    if family not in _REASONS:
        raise ValueError(f"unknown quality family {family!r}: one of {sorted(FAMILY_VERSIONS)}")
    expected = THRESHOLDS[family]
    if not isinstance(thresholds, expected):
        raise TypeError(f"{family} takes {expected.__name__}, not {type(thresholds).__name__}")
    return [reason for reason, failed in _REASONS[family](signals, thresholds) if failed]

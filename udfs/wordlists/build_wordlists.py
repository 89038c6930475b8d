"""Regenerate the word lists in this folder (not run by weft; needs the packages below).

    pip install wordfreq==3.1.1 stop-words==2025.11.4 better-profanity==0.7.0
    python udfs/wordlists/build_wordlists.py

Sources (all openly licensed; the lists are derived data, shipped so nothing is downloaded):
- stopwords_<lang>.txt: the `stop-words` package (BSD-3-Clause, github.com/Alir3z4/stop-words).
  English is that list intersected with wordfreq's 400 most frequent English words, which keeps
  the classic function-word list (the package's English list also holds words like "able").
- common_en.txt.gz: wordfreq's 50,000 most frequent English words (code Apache-2.0, data
  CC BY-SA 4.0, github.com/rspeer/wordfreq), for OBELICS's common-word ratio.
- flagged_en.txt: better-profanity's word list (MIT, github.com/snguyenthanh/better_profanity),
  single words only, for OBELICS's flagged-word ratio.
"""
import gzip
from pathlib import Path

import better_profanity
from stop_words import get_stop_words
from wordfreq import top_n_list

HERE = Path(__file__).parent
LANGS = ("en", "de", "fr", "es", "it", "pt", "nl", "ru")


def main() -> None:
    frequent = set(top_n_list("en", 400))
    for lang in LANGS:
        words = set(get_stop_words(lang))
        if lang == "en":
            words &= frequent
        (HERE / f"stopwords_{lang}.txt").write_text("\n".join(sorted(w.lower() for w in words)) + "\n")
    common = top_n_list("en", 50000)
    (HERE / "common_en.txt.gz").write_bytes(gzip.compress(("\n".join(common) + "\n").encode(), mtime=0))
    source = Path(better_profanity.__file__).parent / "profanity_wordlist.txt"
    flagged = sorted({w.strip().lower() for w in source.read_text().splitlines() if w.strip() and " " not in w})
    (HERE / "flagged_en.txt").write_text("\n".join(flagged) + "\n")


if __name__ == "__main__":
    main()

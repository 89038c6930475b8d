"""Regenerate the word lists in this folder (not run by weft; needs the packages below).

    pip install wordfreq==3.1.1 stop-words==2025.11.4 better-profanity==0.7.0
    python udfs/common/wordlists/build_wordlists.py

Sources (all openly licensed; the lists are derived data, shipped so nothing is downloaded):
- stopwords_<lang>.txt: the `stop-words` package (BSD-3-Clause, github.com/Alir3z4/stop-words).
  English is that list intersected with wordfreq's 400 most frequent English words, which keeps
  the classic function-word list (the package's English list also holds words like "able").
- common_en.txt.gz: wordfreq's 50,000 most frequent English words (code Apache-2.0, data
  CC BY-SA 4.0, github.com/rspeer/wordfreq), for OBELICS's common-word ratio.
- metaclip_entries.txt: the default MetaCLIP metadata, MetaCLIP's "Wikipedia unigrams" part in
  miniature: the 20,000 most frequent words of common_en.txt.gz (wordfreq, CC BY-SA 4.0) that
  are alphabetic, 2+ letters and not English stop words. Derived from the shipped files alone
  (python udfs/common/wordlists/build_wordlists.py --metaclip-only). MetaCLIP's own 500,000 entries
  (WordNet synsets, Wikipedia uni/bigrams, titles) can be pointed at with curate.metaclip.entries.
- flagged_en.txt: better-profanity's word list (MIT, github.com/snguyenthanh/better_profanity),
  single words only, for OBELICS's flagged-word ratio.
"""
import gzip
import sys
from pathlib import Path

HERE = Path(__file__).parent
LANGS = ("en", "de", "fr", "es", "it", "pt", "nl", "ru")


METACLIP_ENTRIES = 20000


def metaclip_entries() -> None:
    stop = set((HERE / "stopwords_en.txt").read_text().split())
    common = gzip.decompress((HERE / "common_en.txt.gz").read_bytes()).decode().split("\n")
    entries = [w for w in common if w.isalpha() and len(w) >= 2 and w not in stop][:METACLIP_ENTRIES]
    header = "# MetaCLIP entries shipped with weft: see build_wordlists.py (wordfreq, CC BY-SA 4.0)\n"
    (HERE / "metaclip_entries.txt").write_text(header + "\n".join(entries) + "\n")


def main() -> None:
    import better_profanity
    from stop_words import get_stop_words
    from wordfreq import top_n_list

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
    if "--metaclip-only" not in sys.argv:
        main()
    metaclip_entries()

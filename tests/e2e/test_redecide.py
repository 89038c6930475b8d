"""Tag, then mix, end to end: a run with document settings A, then ``--stages dedup,...`` with
settings B on the same run folder, gives the tables of a whole new run with B, and extract does
not run the second time."""
import json

import pytest

from tests.conftest import WARC_DIR
from tests.e2e.conftest import FAST, local_images, table_digest, weft
from tests.image_server import ImageServer

pytestmark = pytest.mark.e2e

LATER = "dedup,images,curate,export"
WARCS = ("ukwa_wikipedia-mona-lisa.warc.gz", "commoncrawl-2008_small-sample-1262850551027_8.CONVERTED.warc.gz",
         "dolma_sample-0000.warc.gz", "resiliparse_CC-MAIN-2020-34_warcfile.warc.gz")
COMMON = [*FAST, "--date", "2026-11-30", "--set", "curate.signals=false"]
B = ["--set", "extract.languages=[]", "--set", "extract.require_images=false",
     "--set", "extract.document.min_words=30", "--set", "extract.max_images=12",
     "--set", "extract.document_rules=[obelics,fineweb]"]  # a rule set A did not use: its signals are stored
DECISIONS = ("keep", "drop_reasons")  # docs.keep records the decision extract made; dedup makes it again


def test_changed_document_settings_need_no_new_extraction(tmp_path, shared_data):
    first, fresh = tmp_path / "a", tmp_path / "b"
    inputs = tmp_path / "warc.paths"  # pages with images, pages in several languages, short and long ones
    inputs.write_text("".join(f"{WARC_DIR / name}\n" for name in WARCS))
    with ImageServer() as server:
        mirror = local_images(server)
        for out, settings in ((first, []), (fresh, B)):
            done = weft("--input", str(inputs), "--output", str(out), "--stages", f"ingest,extract,{LATER}",
                        *COMMON, *mirror, *settings)
            assert done.returncode == 0, done.stderr[-3000:]
        docs_files = {p: p.stat().st_mtime_ns for p in (first / "docs").rglob("*.parquet")}
        again = weft("--output", str(first), "--stages", LATER, *COMMON, *mirror, *B)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "weft: extract started" not in again.stderr and "weft: dedup started" in again.stderr
    assert {p: p.stat().st_mtime_ns for p in (first / "docs").rglob("*.parquet")} == docs_files

    before = json.loads((first / "_stats" / "extract.json").read_text())["kept_docs"]
    decided = json.loads((first / "_stats" / "dedup.json").read_text())["documents"]
    assert decided == json.loads((fresh / "_stats" / "dedup.json").read_text())["documents"]
    assert decided["kept"] > before  # B keeps more documents than A did
    assert any(rule.startswith("fineweb_") for rule in decided["dropped_by_rule"])  # B's rule set decided too
    tables = sorted(p.name for p in fresh.iterdir() if p.is_dir() and not p.name.startswith("_"))
    assert {"docs", "docs_dedup", "duplicates", "dedup_index", "images", "pairs", "obelics",
            "export_obelics"} <= set(tables)
    assert tables == sorted(p.name for p in first.iterdir() if p.is_dir() and not p.name.startswith("_"))
    server_port = {r"127\.0\.0\.1:\d+": "127.0.0.1:PORT"}
    for table in tables:
        drop = DECISIONS if table == "docs" else ("fetch_time",) if table == "images" else ()
        assert table_digest(first / table, server_port, drop=drop) == table_digest(fresh / table, server_port,
                                                                                    drop=drop), table

import gzip

import pytest

from jobs.config import load_config
from tests.conftest import QUIRKY_DIR, WARC_DIR
from udfs.ingest.inputs import InputError, resolve_input

ST = load_config().storage
CC = "s3://commoncrawl/"


def test_single_file_glob_and_directory(shared_data):
    one = WARC_DIR / "dolma_sample-0000.warc.gz"
    assert resolve_input(str(one), ST, CC) == [str(one)]
    assert resolve_input(str(WARC_DIR / "dolma_sample-*.warc.gz"), ST, CC) == [
        str(WARC_DIR / "dolma_sample-0000.warc.gz"), str(WARC_DIR / "dolma_sample-0001.warc.gz")]
    listed = resolve_input(str(WARC_DIR), ST, CC)
    assert str(one) in listed
    assert not any("quirky" in f for f in listed)  # a directory means its own files, not sub-folders


def test_manifest_plain_and_gzipped_with_cc_relative_lines(tmp_path, shared_data):
    lines = ["crawl-data/CC-MAIN-2024-22/segments/1/warc/a.warc.gz", str(WARC_DIR / "jwarc_commoncrawl.org.warc.gz"),
             "", "# comment", "s3://bucket/b.warc.gz", "local/c.warc.gz"]
    plain = tmp_path / "warc.paths"
    plain.write_text("\n".join(lines) + "\n")
    packed = tmp_path / "warc.paths.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    expected = ["s3://commoncrawl/crawl-data/CC-MAIN-2024-22/segments/1/warc/a.warc.gz",
                str(WARC_DIR / "jwarc_commoncrawl.org.warc.gz"), "s3://bucket/b.warc.gz",
                str(tmp_path / "local" / "c.warc.gz")]
    assert resolve_input(str(plain), ST, CC) == expected
    assert resolve_input(str(packed), ST, CC) == expected
    assert resolve_input(str(plain), ST, "s3a://mirror/")[0].startswith("s3a://mirror/crawl-data/")


def test_unnamed_manifest_is_sniffed_but_garbage_is_an_input_file(tmp_path, shared_data):
    listing = tmp_path / "todo"
    listing.write_text(str(WARC_DIR / "dolma_sample-0000.warc.gz") + "\n")
    assert resolve_input(str(listing), ST, CC) == [str(WARC_DIR / "dolma_sample-0000.warc.gz")]
    licence = QUIRKY_DIR / "copycat_LICENSE"
    assert resolve_input(str(licence), ST, CC) == [str(licence)]  # ingest rejects it as unreadable_file


@pytest.mark.parametrize("make, message", [
    (lambda p: str(p / "absent.warc.gz"), "input not found"),
    (lambda p: str(p / "*.nothing"), "glob matches no files"),
    (lambda p: (p / "empty.paths").write_text("\n# nothing\n") and str(p / "empty.paths"), "lists no WARC files"),
    (lambda p: (p / "d").mkdir() or str(p / "d"), "names no WARC files"),
    (lambda p: "ftp://host/x.warc.gz", "unsupported input scheme"),
])
def test_unusable_input_is_one_clear_error(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        resolve_input(make(tmp_path), ST, CC)


def test_duplicates_are_listed_once(tmp_path, shared_data):
    one = str(WARC_DIR / "dolma_sample-0000.warc.gz")
    manifest = tmp_path / "dups.paths"
    manifest.write_text(f"{one}\n{one}\n")
    assert resolve_input(str(manifest), ST, CC) == [one]

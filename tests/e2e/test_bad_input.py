"""Bad input through the command a user runs (``make run INPUT=...``): the quirky real files and
generated damage all finish with exit 0 and every record accounted per file, with its reason;
credentials given to the run appear nowhere in what it prints or leaves behind."""
import json
import os
import subprocess
from collections import Counter

import pyarrow.parquet as pq
import pytest

from tests.conftest import QUIRKY_DIR, REPO
from tests.warc_damage import damaged_files

pytestmark = pytest.mark.e2e

# generated file → the rejects its records end as (every other record is a page)
DAMAGE_REASONS = {
    "negative.warc": {},  # a negative Content-Length: the reader finds the next record's header
    "overlong.warc.gz": {"truncated_record": 1},  # Content-Length past the end: the record is cut, the next kept
    "understated.warc.gz": {"not_html": 1, "garbage_between_records": 1},  # the cut block and its rest
    "cut.warc.gz": {"truncated_record": 1},  # the last gzip member truncated
    "garbage.warc.gz": {"garbage_between_records": 1},
    "zero_byte_record.warc.gz": {"malformed_http": 1},  # Content-Length: 0
    "zero.warc": {"empty_file": 1},
    "text.warc": {"unreadable_file": 1},
    "png_named.warc.gz": {"unreadable_file": 1},  # not an archive at all
}
SECRETS = {"AWS_SECRET_ACCESS_KEY": "planted-secret-6b1f0e", "AWS_SESSION_TOKEN": "planted-token-93c2aa"}


def test_make_run_on_damaged_and_quirky_files(tmp_path, shared_data):
    folder = tmp_path / "input"
    folder.mkdir()
    for name, data in damaged_files().items():
        (folder / name).write_bytes(data)
    for path in QUIRKY_DIR.iterdir():
        (folder / path.name).symlink_to(path)
    settings = tmp_path / "cluster.yaml"  # credentials as users pass them: Spark's S3A keys, a URL password
    settings.write_text("spark:\n  conf:\n    spark.hadoop.fs.s3a.secret.key: planted-s3a-4d7e21\n"
                        "    spark.hadoop.fs.s3a.access.key: planted-access-key-77aa\n"
                        "storage:\n  s3_endpoint_url: http://weft:planted-password-c0ffee@127.0.0.1:9\n")
    out = tmp_path / "run"
    args = f"--config {settings} --stages ingest,extract --set spark.master=local[2] --set spark.ui=false"
    proc = subprocess.run(["make", "--no-print-directory", "-o", ".venv/.base", "run", f"INPUT={folder}",
                           f"OUTPUT={out}", f"ARGS={args}"], cwd=REPO, capture_output=True, text=True,
                          timeout=900, env={**os.environ, **SECRETS})
    assert proc.returncode == 0, proc.stderr[-3000:]

    stats = json.loads((out / "_stats" / "ingest.json").read_text())
    files = {os.path.basename(name): f for name, f in stats["files"].items()}
    assert len(files) == len(DAMAGE_REASONS) + len(list(QUIRKY_DIR.iterdir())) and stats["unbalanced_files"] == []
    for name, f in files.items():
        assert f["records_read"] == f["pages"] + f["archived_images"] + f["rejected"], name
    rejects = pq.read_table(out / "rejects", filters=[("stage", "=", "ingest")]).to_pylist()
    reasons: dict[str, Counter] = {}
    for r in rejects:
        reasons.setdefault(os.path.basename(r["warc_filename"]), Counter())[r["reason"]] += 1
    for name, expected in DAMAGE_REASONS.items():
        assert dict(reasons.get(name, {})) == expected, name
        assert files[name]["rejected"] == sum(expected.values()), name
    assert files["copycat_LICENSE"]["rejected"] == 1 and reasons["copycat_LICENSE"] == {"unreadable_file": 1}
    assert reasons["resiliparse_clipped.warc.gz"] == {"truncated_record": 1}
    assert stats["readers"]["resync"] >= 4  # the ARC files, the malformed clueweb WARC, the clipped file
    extract = json.loads((out / "_stats" / "extract.json").read_text())
    assert extract["input_rows"] == sum(f["pages"] for f in files.values())  # every page reached extract
    assert stats["output_rows"] == stats["pages"] + stats["archived_images"]

    planted = [*SECRETS.values(), "planted-s3a-4d7e21", "planted-access-key-77aa", "planted-password-c0ffee"]
    leaks = [(secret, "stdout/stderr") for secret in planted if secret in proc.stdout + proc.stderr]
    for path in (p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        leaks += [(secret, str(path.relative_to(out))) for secret in planted if secret.encode() in data]
    assert leaks == []
    assert "***" in (out / "config.yaml").read_text()  # masked, not dropped

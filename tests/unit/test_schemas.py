"""The contract columns of ARCHITECTURE.md stay present, and Spark types derive from Arrow."""
import pyarrow as pa
import pytest

from schemas.warc_files import WARC_FILES
from schemas.pages import PAGES
from schemas.rejects import REJECTS
from schemas.table import Column, Table, union

CONTRACT = {
    PAGES: ["page_id", "url", "warc_filename", "warc_record_offset", "warc_record_length", "warc_record_id",
            "fetch_time", "http_status", "content_type", "charset", "html"],
    REJECTS: ["stage", "reason", "key", "warc_filename", "warc_record_offset", "detail"],
}


@pytest.mark.parametrize("table", list(CONTRACT), ids=lambda t: t.name)
def test_contract_columns_are_declared_and_documented(table):
    assert set(CONTRACT[table]) <= set(table.names)
    assert all(c.doc for c in table.columns)
    assert len(set(table.names)) == len(table.names)


def test_spark_schema_derives_from_arrow():
    spark_schema = PAGES.spark()
    assert spark_schema.fieldNames() == PAGES.names
    assert spark_schema["fetch_time"].dataType.typeName() == "timestamp"
    assert spark_schema["html"].dataType.typeName() == "string"
    assert not spark_schema["page_id"].nullable


def test_union_shares_columns_and_refuses_conflicting_types():
    both = union("u", "", REJECTS, WARC_FILES)
    assert both.names.count("warc_filename") == 1
    assert set(REJECTS.names) <= set(both.names)
    clash = Table("t", "", (Column("stage", pa.int32(), "x"),))
    with pytest.raises(TypeError, match="two types"):
        union("u", "", REJECTS, clash)


def test_wide_tables_get_row_groups_sized_by_bytes():
    options = PAGES.parquet_options()
    assert options["parquet.enable.dictionary#html"] == "false"
    assert int(options["parquet.block.size"]) <= 16 << 20 and options["parquet.page.size.row.check.min"] == "1"
    assert "parquet.block.size" not in REJECTS.parquet_options()

"""The contract columns of ARCHITECTURE.md stay present, and Spark types derive from Arrow."""
import pyarrow as pa
import pytest

from schemas.ingest_side import INGEST_SIDE
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
    assert INGEST_SIDE.names.count("warc_filename") == 1
    assert set(REJECTS.names) <= set(INGEST_SIDE.names)
    clash = Table("t", "", (Column("stage", pa.int32(), "x"),))
    with pytest.raises(TypeError, match="two types"):
        union("u", "", REJECTS, clash)


def test_html_column_skips_parquet_dictionary():
    assert PAGES.parquet_options() == {"parquet.enable.dictionary#html": "false"}

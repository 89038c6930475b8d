"""Spark settings: sizes for one machine in local runs only; on a cluster its own defaults apply."""
from jobs.config import load_config
from jobs.runtime import LOCAL_SHUFFLE_PARTITIONS, session_conf

LOCAL_ONLY = ("spark.sql.shuffle.partitions", "spark.driver.memory", "spark.driver.host", "spark.driver.bindAddress",
              "spark.ui.enabled", "spark.pyspark.python")


def test_local_runs_get_one_machines_sizes():
    conf = session_conf(load_config(), local=True)
    assert conf["spark.sql.shuffle.partitions"] == str(LOCAL_SHUFFLE_PARTITIONS)
    assert conf["spark.driver.memory"] == "2g" and conf["spark.driver.host"] == "127.0.0.1"


def test_under_spark_submit_the_clusters_defaults_and_aqe_apply():
    conf = session_conf(load_config(), local=False)
    assert not set(LOCAL_ONLY) & set(conf)
    assert not any(key.startswith("spark.sql.adaptive") for key in conf)  # AQE stays the cluster's
    assert conf["spark.sql.execution.arrow.pyspark.enabled"] == "true"  # what weft's stages need, everywhere


def test_what_the_user_sets_applies_everywhere():
    config = load_config(overrides=["spark.shuffle_partitions=2000", "spark.conf.spark.sql.adaptive.enabled=false"])
    for local in (True, False):
        conf = session_conf(config, local=local)
        assert conf["spark.sql.shuffle.partitions"] == "2000" and conf["spark.sql.adaptive.enabled"] == "false"

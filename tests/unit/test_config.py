import pytest

from jobs.config import Config, ConfigError, load_config


def test_contract_keys_have_documented_defaults():
    cfg = load_config()
    assert cfg.spark.master == "local[*]"
    assert cfg.extract.require_images is True
    assert cfg.extract.languages == ["en"]
    assert cfg.dedup.near_threshold == 0.8
    assert cfg.images.allowlist == []
    assert (cfg.clip.model, cfg.clip.pretrained, cfg.clip.checkpoint) == ("ViT-B-32", "laion2b_s34b_b79k", None)
    assert cfg.clip.required is True and cfg.clip.random_init is False
    assert cfg.images.source == "archive_then_web"
    assert cfg.mmc4.min_similarity == 0.15
    assert cfg.curate.clip_threshold == 0.28
    assert cfg.run.mode == "incremental"


def test_set_values_are_parsed_as_yaml():
    cfg = load_config(overrides=["extract.require_images=false", "dedup.near_threshold=0.7",
                                 "extract.languages=[en, de]", "clip.checkpoint=s3://b/k.pt"])
    assert cfg.extract.require_images is False
    assert cfg.dedup.near_threshold == 0.7
    assert cfg.extract.languages == ["en", "de"]
    assert cfg.clip.checkpoint == "s3://b/k.pt"


def test_config_files_merge_in_order_and_set_wins(tmp_path):
    first = tmp_path / "a.yaml"
    first.write_text("dedup:\n  near_threshold: 0.5\nrun:\n  mode: append\n")
    second = tmp_path / "b.yaml"
    second.write_text("dedup:\n  near_threshold: 0.6\n")
    cfg = load_config([first, second], ["run.mode=overwrite"])
    assert cfg.dedup.near_threshold == 0.6
    assert cfg.run.mode == "overwrite"
    assert cfg.extract.languages == ["en"]  # untouched keys keep their defaults


def test_spark_conf_passes_through_keys_with_dots():
    cfg = load_config(overrides=["spark.conf.spark.executor.memory=4g", "spark.conf.spark.task.cpus=2"])
    assert cfg.spark.conf == {"spark.executor.memory": "4g", "spark.task.cpus": "2"}


@pytest.mark.parametrize("override, message", [
    ("dedup.near_treshold=0.5", "unknown setting 'dedup.near_treshold'"),
    ("nosuch.key=1", "unknown setting 'nosuch'"),
    ("dedup.near_threshold=high", "must be a number"),
    ("dedup.near_threshold=1.5", "must be <= 1"),
    ("extract.require_images=maybe", "must be true or false"),
    ("run.mode=sometimes", "must be one of incremental, overwrite, append"),
    ("extract.languages=en", "must be a list"),
    ("ingest.keep_status=[ok]", "must be an integer"),
    ("novalue", "expects key=value"),
])
def test_bad_values_are_refused_with_the_key_named(override, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_config(overrides=[override])


def test_missing_or_invalid_config_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config([tmp_path / "absent.yaml"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("dedup: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config([bad])


def test_round_trip_through_saved_yaml(tmp_path):
    cfg = load_config(overrides=["curate.clip_threshold=0.3"])
    saved = tmp_path / "config.yaml"
    saved.write_text(cfg.to_yaml())
    assert load_config([saved]) == cfg
    assert isinstance(cfg, Config)


def test_the_gpu_config_gives_only_the_clip_stage_a_gpu_profile():
    from jobs.embedding import gpu_profile
    from jobs.config import load_config
    from tests.conftest import REPO

    gpu = load_config([REPO / "configs" / "gpu.yaml"])
    profile = gpu_profile(gpu.clip)
    assert profile.taskResources["gpu"].amount == 0.25 and profile.executorResources["gpu"].amount == 1
    assert not any(key.startswith(("spark.executor.resource.gpu.amount", "spark.task.resource.gpu"))
                   for key in gpu.spark.conf)  # no executor of the other stages gets a GPU
    assert gpu_profile(load_config().clip) is None  # CPU runs ask for nothing


def test_map_in_arrow_uses_a_profile_only_where_spark_takes_one():
    from jobs.runtime import map_in_arrow

    class Spark35Frame:  # DataFrame.mapInArrow(func, schema, barrier=False): no profile before 4.0
        def mapInArrow(self, func, schema, barrier=False):
            return ("3.5", func, schema)

    class Spark4Frame:
        def mapInArrow(self, func, schema, barrier=False, profile=None):
            return ("4", func, schema, profile)

    assert map_in_arrow(Spark35Frame(), len, "s", profile="gpu") == ("3.5", len, "s")
    assert map_in_arrow(Spark4Frame(), len, "s", profile="gpu") == ("4", len, "s", "gpu")
    assert map_in_arrow(Spark4Frame(), len, "s") == ("4", len, "s", None)

"""Typed settings: ``configs/default.yaml`` + ``--config FILE`` + ``--set key=value``.

Values come only from YAML (the defaults file is the single source of defaults); the
dataclasses in ``udfs.common.settings`` declare each setting's type, help text and allowed values,
and the loader refuses unknown keys, missing keys and wrong types before any Spark work starts.
"""
from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any

import yaml

from configs import default_yaml
from udfs.common.settings import Config  # also re-exported: callers import Config from here


class ConfigError(ValueError):
    """A setting is unknown, missing, of the wrong type or out of range."""


FREE_FORM = {"spark.conf", "images.rewrite_prefixes"}  # mappings whose keys are not settings of weft's own


def load_config(config_files: typing.Sequence[str | Path] = (), overrides: typing.Sequence[str] = ()) -> Config:
    """Defaults, then each YAML file in order, then ``key=value`` overrides (values parsed as YAML)."""
    data = _parse_yaml(default_yaml(), "configs/default.yaml")
    for path in config_files:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {getattr(exc, 'strerror', None) or exc}") from None
        _merge(data, _parse_yaml(text, str(path)) or {}, prefix="")
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value, got {item!r}")
        value = _parse_yaml(raw, f"--set {key}")
        head, _, conf_key = key.strip().partition(".conf.")
        parts = [*head.split("."), "conf", conf_key] if conf_key else key.strip().split(".")
        _merge(data, _nest(parts, value), prefix="")
    return _build(Config, data, prefix="")


def _parse_yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML ({str(exc).splitlines()[0]})") from None


def _nest(parts: list[str], value: Any) -> dict:
    return {parts[0]: _nest(parts[1:], value) if len(parts) > 1 else value}


def _merge(base: dict, extra: Any, prefix: str) -> None:
    if not isinstance(extra, dict):
        raise ConfigError(f"setting {prefix.rstrip('.') or '(root)'} must be a mapping")
    for key, value in extra.items():
        name = f"{prefix}{key}"
        if key not in base:
            raise ConfigError(f"unknown setting {name!r}")
        if name in FREE_FORM and isinstance(value, dict):
            base[key] = {**base[key], **value}
        elif isinstance(base[key], dict) and isinstance(value, dict):
            _merge(base[key], value, prefix=f"{name}.")
        else:
            base[key] = value


def _build(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"setting {prefix.rstrip('.')} must be a mapping")
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        name = f"{prefix}{f.name}"
        if f.name not in data:
            raise ConfigError(f"setting {name!r} has no value")
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            values[f.name] = _build(kind, data[f.name], prefix=f"{name}.")
        else:
            values[f.name] = _check(name, data[f.name], kind, f.metadata)
    unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise ConfigError(f"unknown setting {prefix}{sorted(unknown)[0]!r}")
    return cls(**values)


def _check(name: str, value: Any, kind: Any, meta: typing.Mapping) -> Any:
    value = _coerce(name, value, kind)
    for item in value if isinstance(value, list) else [value]:  # a list's every item is a choice
        if meta.get("choices") and item not in meta["choices"]:
            raise ConfigError(f"setting {name!r} must be one of {', '.join(meta['choices'])}; got {item!r}")
    if value is None:
        return value
    if meta.get("low") is not None and value < meta["low"]:
        raise ConfigError(f"setting {name!r} must be >= {meta['low']}; got {value!r}")
    if meta.get("high") is not None and value > meta["high"]:
        raise ConfigError(f"setting {name!r} must be <= {meta['high']}; got {value!r}")
    return value


def _coerce(name: str, value: Any, kind: Any) -> Any:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Union or origin is getattr(__import__("types"), "UnionType", None):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(name, value, inner)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"setting {name!r} must be a list; got {value!r}")
        return [_coerce(f"{name}[{i}]", v, args[0]) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"setting {name!r} must be a mapping; got {value!r}")
        return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}  # YAML true: "true"
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"setting {name!r} must be true or false; got {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"setting {name!r} must be an integer; got {value!r}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"setting {name!r} must be a number; got {value!r}")
        return float(value)
    if kind is str:
        if isinstance(value, (dict, list)) or value is None:
            raise ConfigError(f"setting {name!r} must be a string; got {value!r}")
        return str(value)
    raise ConfigError(f"setting {name!r} has an unsupported type {kind!r}")

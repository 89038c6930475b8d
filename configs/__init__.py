"""Default settings of weft (``default.yaml``), shipped with the package."""
from importlib import resources


def default_yaml() -> str:
    """Text of the shipped default settings."""
    return resources.files(__name__).joinpath("default.yaml").read_text(encoding="utf-8")

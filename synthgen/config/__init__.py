"""Configs: omegaconf YAML merged onto dataclass schemas, with a distribution syntax."""

from synthgen.config.distributions import Distribution, parse_value
from synthgen.config.load import load_run_config
from synthgen.config.printing import resolved_yaml
from synthgen.config.schema import RunConfig

__all__ = ["Distribution", "RunConfig", "load_run_config", "parse_value", "resolved_yaml"]

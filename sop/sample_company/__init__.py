"""A deterministic sample company that writes the input contract into a landing folder."""

from sop.sample_company.config import SampleConfig
from sop.sample_company.generate import generate, write_landing

__all__ = ["SampleConfig", "generate", "write_landing"]

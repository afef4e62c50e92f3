"""Policy as code: effective-dated jurisdiction rules loaded from TOML files."""

from callup.policy.loader import load_policy, default_policy_path
from callup.policy.model import Jurisdiction, PolicyVersion

__all__ = ["Jurisdiction", "PolicyVersion", "load_policy", "default_policy_path"]

"""Policy as code: effective-dated jurisdiction rules loaded from TOML files."""

from callup.policy.loader import default_policy_path, load_policy
from callup.policy.model import Jurisdiction, PolicyVersion

__all__ = ["Jurisdiction", "PolicyVersion", "load_policy", "default_policy_path"]

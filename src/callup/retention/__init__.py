"""Retention: personal data past the period the policy keeps it for is erased, in batches, audited."""

"""The register of people liable for service: synthetic data, bulk import, queries, eligibility."""

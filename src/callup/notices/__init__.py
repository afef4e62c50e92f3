"""Summonses: references and sign-in codes, offices, appointment scheduling, letters.

The modules here are pure (no store): `reference` (summons references, one-time codes),
`offices` (the offices CSV), `schedule` (appointments within capacity, slot moves) and
`letters` (PDF letters and mailing manifests). Import them directly; this package imports
nothing heavy, so `import callup.notices.reference` does not load ReportLab.
"""

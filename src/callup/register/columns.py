"""The register file format shared by the importer and the synthetic generator."""

REQUIRED = (
    "national_id",
    "family_name",
    "given_names",
    "date_of_birth",
    "sex",
    "citizenship",
    "region",
    "address",
    "postcode",
    "civil_status",
)
OPTIONAL = ("email", "phone", "volunteer", "language")
COLUMNS = REQUIRED + OPTIONAL
SEXES = ("M", "F", "X")
CIVIL_STATUSES = ("alive", "deceased", "emigrated")
TRUE_WORDS = ("1", "true", "yes", "y", "t")
FALSE_WORDS = ("", "0", "false", "no", "n", "f")

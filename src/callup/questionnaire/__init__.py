"""The self-declaration questionnaire sent to a birth cohort before it is called (see `service`)."""

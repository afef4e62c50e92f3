"""Military service: units, induction, the deployment guardrail, transfers and discharge.

An inducted person has a service record (`tables.ServiceRecord`) that moves only through the
`SERVICE` machine (`machines`), one audited step at a time (`induction`); every assignment to a
unit passes the deployment guardrail (`guardrail`) first. Case work decides whether a person is
inducted at all; this feature takes over from the induction on.
"""

"""Case work: the decisions about a called person, each an explicit state machine.

A case (medical board, deferral, exemption, alternative civilian service, appeal, no-show) is
one row in `cases` and moves only through `transitions.transition`, which applies its kind's
transition table (`machines`), stores the transition with actor, role, time, reason and
evidence in `case_transitions`, and audits it in the same transaction as the change and as any
release and replacement the decision causes. Nothing punitive is ever automatic.
"""

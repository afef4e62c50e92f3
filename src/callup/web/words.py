"""Plain words for every code a page shows: states, steps, kinds, roles, sources, outcomes.

The services speak in codes (`civilian_service`, `temporarily_unfit`, `deferral`, `no_registry`);
a page never does. Each code has its English words here, and the Russian (or any other) words
come from the message catalogue under that English text, so English is catalogue text too, never
`code.replace("_", " ")`. A code with no words here is a bug the page-state test finds; at run
time it is shown as the neutral "(unnamed)" word of its kind, never as the code.

Grounds and fitness categories are the policy's own (a country names its grounds in its policy
file): they are shown by the policy's description, which the catalogue translates like any text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for text marked for the catalogue only
    """Mark `text` for the catalogue; it is translated where it is shown."""
    return text


#: What a summons' status means for its person.
SUMMONS_STATUS = {
    "created": N_("Not sent yet"),
    "sent": N_("Sent to you"),
    "delivered": N_("Delivered"),
    "acknowledged": N_("Received, confirmed by you"),
    "returned": N_("Returned by the post"),
    "cancelled": N_("Cancelled: you do not need to attend"),
    "superseded": N_("Replaced by a newer summons"),
}
#: The same statuses in the administration's words (the person is not "you").
SUMMONS_STATUS_OFFICE = {
    "created": N_("Not sent yet"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "acknowledged": N_("Received and confirmed by the person"),
    "returned": N_("Returned by the post"),
    "cancelled": N_("Cancelled"),
    "superseded": N_("Replaced by a newer summons"),
}
#: How a summons' delivery was established.
DELIVERY_SOURCE = {
    "portal": N_("opened on the portal"),
    "acknowledgement": N_("confirmed on the portal"),
    "receipt": N_("signed for at the post"),
    "deemed": N_("deemed delivered under the law's rule"),
}
APPEARANCE = {
    "appeared": N_("Came to the appointment"),
    "no_show": N_("Did not come to the appointment"),
}
#: What kind of case it is.
CASE_KIND = {
    "medical": N_("Medical examination"),
    "deferral": N_("Deferral"),
    "exemption": N_("Exemption"),
    "civilian_service": N_("Alternative civilian service"),
    "appeal": N_("Appeal"),
    "no_show": N_("Missed appointment"),
}
#: What a case's state means, by kind: the same code can mean different things ("open").
CASE_STATE = {
    "medical": {
        "new": N_("Not started"),
        "open": N_("Waiting for the medical board"),
        "fit": N_("Fit for service"),
        "unfit": N_("Not fit for service: you will not be called up"),
        "temporarily_unfit": N_("Not fit for now: you will be examined again"),
        "cancelled": N_("No examination needed"),
    },
    "deferral": {
        "new": N_("Not started"),
        "applied": N_("Waiting for a decision"),
        "granted": N_("Deferral granted"),
        "refused": N_("Deferral refused"),
        "withdrawn": N_("Withdrawn"),
    },
    "exemption": {
        "new": N_("Not started"),
        "applied": N_("Waiting for a decision"),
        "granted": N_("Exemption granted"),
        "refused": N_("Exemption refused"),
        "withdrawn": N_("Withdrawn"),
    },
    "civilian_service": {
        "new": N_("Not started"),
        "applied": N_("Waiting for a decision"),
        "granted": N_("Civilian service granted"),
        "refused": N_("Civilian service refused"),
        "withdrawn": N_("Withdrawn"),
        "assigned": N_("Assigned to a civilian employer"),
        "completed": N_("Civilian service completed"),
    },
    "appeal": {
        "new": N_("Not started"),
        "lodged": N_("Waiting for a decision on the appeal"),
        "upheld": N_("Appeal refused: the decision stays"),
        "overturned": N_("Appeal allowed: the decision was undone"),
        "withdrawn": N_("Appeal withdrawn"),
    },
    "no_show": {
        "new": N_("Not started"),
        "open": N_("Waiting for the office"),
        "rescheduled": N_("A new appointment was given"),
        "excused": N_("Excused"),
        "referred": N_("Referred to the authority the law names"),
    },
}
#: What a step of a case did (the case's history).
CASE_STEP = {
    "open": N_("Opened"),
    "apply": N_("Applied"),
    "lodge": N_("Appeal lodged"),
    "withdraw": N_("Withdrawn"),
    "find_fit": N_("Found fit"),
    "find_unfit": N_("Found not fit"),
    "find_temporarily_unfit": N_("Found not fit for now"),
    "cancel": N_("Cancelled"),
    "grant": N_("Granted"),
    "refuse": N_("Refused"),
    "uphold": N_("Appeal refused: the decision stays"),
    "overturn": N_("Decision undone"),
    "assign": N_("Assigned to an employer"),
    "complete": N_("Completed"),
    "reschedule": N_("New appointment given"),
    "excuse": N_("Excused"),
    "refer": N_("Referred"),
}
#: The decision an officer chooses on the console (an appeal's steps read differently there).
DECISION = {
    "grant": N_("Grant"),
    "refuse": N_("Refuse"),
    "uphold": N_("Refuse the appeal: the decision stays"),
    "overturn": N_("Allow the appeal: undo the decision"),
}
#: How the date a case began is labelled, by kind ("Applied" is wrong for an examination).
CASE_OPENED = {
    "medical": N_("Opened"),
    "deferral": N_("Applied"),
    "exemption": N_("Applied"),
    "civilian_service": N_("Applied"),
    "appeal": N_("Lodged"),
    "no_show": N_("Opened"),
}
#: The result of checking a ground against a registry.
CHECK_RESULT = {
    "verified": N_("Confirmed by the registry"),
    "expired": N_("The registry's entry has expired"),
    "not_found": N_("Not found in the registry"),
    "no_registry": N_("The registry could not be checked yet"),
}
ROLE = {
    "administrator": N_("Administrator"),
    "officer": N_("Regional officer"),
    "medical": N_("Medical board"),
    "auditor": N_("Auditor"),
    "citizen": N_("Citizen"),
    "system": N_("Automatic (the system)"),
}
CONTACT_STATUS = {
    "pending": N_("Waiting for the office"),
    "confirmed": N_("Confirmed: the register was changed"),
    "rejected": N_("Rejected"),
}
#: A person's standing as the status page and the status document name it.
STANDING = {
    "summoned": N_("Summoned"),
    "appeared": N_("Came to the appointment"),
    "in service": N_("In military service"),
    "discharged": N_("Discharged from service"),
    "released": N_("Released from the call-up"),
    "superseded": N_("Summons replaced by a newer one"),
}
SERVICE_STATE = {
    "serving": N_("In military service"),
    "discharged": N_("Discharged from service"),
    "discharged_early": N_("Discharged before the end of the term"),
    "converted": N_("Ended: signed a contract"),
}
#: A service record's legal status (the deployment rules' word for it).
SERVICE_STATUS = {
    "conscript": N_("Conscript"),
    "contract": N_("Contract soldier"),
    "alternative_service": N_("Alternative civilian service"),
}
CIVIL_STATUS = {
    "alive": N_("Living"),
    "deceased": N_("Deceased"),
    "emigrated": N_("Emigrated"),
}
#: Why an officer should follow a summons up (the follow-up list).
FOLLOW_UP = {
    "returned": N_("Returned by the post (%(detail)s): check the address"),
    "unconfirmed": N_("No evidence of delivery %(days)s days after dispatch"),
    "no_show": N_("Did not come: an officer decides what follows"),
}
#: Reasons the system itself gives for a read or a step (a person's own reasons are shown as written). Every
#: `reason="..."` literal in the code is one of these (tests/web/test_web_plain_words.py checks it).
SYSTEM_REASONS = frozenset({
    N_("case work in the console"), N_("medical examination in the console"), N_("service record in the console"),
    N_("age condition of a contract"), N_("reading an uploaded document"), N_("questionnaire list in the console"),
    N_("questionnaire answers in the console"), N_("medical board's open examinations"),
    N_("simulation: second examination"), N_("simulation: granted on review"), N_("simulation: decided"),
    N_("simulation: contract signed"), N_("simulation: appeal"), N_("simulation: appeal decided"),
})
UNNAMED = N_("(not named)")
CONSCIENCE = N_("Reasons of conscience")
CATEGORY = N_("Category %(code)s: %(text)s")

TABLES: Mapping[str, Mapping[str, str]] = {
    "summons": SUMMONS_STATUS, "summons_office": SUMMONS_STATUS_OFFICE, "source": DELIVERY_SOURCE,
    "appearance": APPEARANCE, "kind": CASE_KIND, "step": CASE_STEP, "decision": DECISION, "opened": CASE_OPENED,
    "check": CHECK_RESULT, "role": ROLE, "contact": CONTACT_STATUS, "standing": STANDING, "service": SERVICE_STATE,
    "service_status": SERVICE_STATUS, "civil": CIVIL_STATUS,
}


def english() -> list[str]:
    """Every English text of this module (what the catalogue must translate)."""
    texts = [text for table in TABLES.values() for text in table.values()]
    texts += [text for states in CASE_STATE.values() for text in states.values()]
    return [*texts, *FOLLOW_UP.values(), *sorted(SYSTEM_REASONS), UNNAMED, CONSCIENCE, CATEGORY]


@dataclasses.dataclass(frozen=True)
class Words:
    """The words of one page's language: `words.summons("sent")` is "Sent to you" or its translation."""

    gettext: Callable[[str], str]
    policy: Callable[[], Any] | None = None  # the policy version in force (grounds' and categories' names)
    regions: Callable[[], dict[str, str]] | None = None  # region code -> the policy's name of the region

    def region(self, code: str | None) -> str:
        """A region by its name and code ("Arist Lowlands (R01)"); the bare code where the policy has no name for it."""
        if not code:
            return ""
        name = (self.regions() if self.regions is not None else {}).get(code)
        return f"{name} ({code})" if name else code

    def _of(self, table: str, code: Any) -> str:
        text = TABLES[table].get(_code(code))
        return self.gettext(text if text is not None else UNNAMED)

    def summons(self, code: Any, *, office: bool = False) -> str:
        return self._of("summons_office" if office else "summons", code)

    def source(self, code: Any) -> str:
        return self._of("source", code)

    def appearance(self, code: Any) -> str:
        return self._of("appearance", code)

    def kind(self, code: Any) -> str:
        return self._of("kind", code)

    def state(self, kind: Any, code: Any) -> str:
        text = CASE_STATE.get(_code(kind), {}).get(_code(code))
        return self.gettext(text if text is not None else UNNAMED)

    def step(self, code: Any) -> str:
        return self._of("step", code)

    def decision(self, code: Any) -> str:
        return self._of("decision", code)

    def opened(self, kind: Any) -> str:
        return self._of("opened", kind)

    def check(self, code: Any) -> str:
        return self._of("check", code)

    def role(self, code: Any) -> str:
        return self._of("role", code)

    def contact(self, code: Any) -> str:
        return self._of("contact", code)

    def standing(self, code: Any) -> str:
        return self._of("standing", code)

    def service(self, code: Any) -> str:
        return self._of("service", code)

    def service_status(self, code: Any) -> str:
        return self._of("service_status", code)

    def civil(self, code: Any) -> str:
        return self._of("civil", code)

    def follow_up(self, why: str, **values: Any) -> str:
        text = FOLLOW_UP.get(why)
        return self.gettext(text) % values if text is not None else self.gettext(UNNAMED)

    def ground(self, kind: Any, code: str | None) -> str:
        """A case's ground (deferral, exemption) or fitness category (medical) by the policy's description."""
        if not code:
            return ""
        kind = _code(kind)
        if kind == "civilian_service":  # one ground, the law's: a conscientious objection
            return self.gettext(CONSCIENCE)
        items = []
        if self.policy is not None:
            version = self.policy()
            items = {"medical": version.fitness_categories, "deferral": version.deferral_grounds,
                     "exemption": version.exemption_grounds}.get(kind, [])
        for item in items:
            if item.code == code:
                text = self.gettext(item.description)
                return self.gettext(CATEGORY) % {"code": code, "text": text} if kind == "medical" else text
        return self.gettext(UNNAMED)


    def why(self, recorded: str | None) -> str:
        """A recorded reason for a read or a step: the system's own in the page's language, a person's as written."""
        if not recorded:
            return ""
        return self.gettext(recorded) if recorded in SYSTEM_REASONS else recorded

    def reason(self, case: Any) -> str:
        """A decision's recorded reasons; a medical decision recorded without any (the service then writes the
        category's code and description) reads as the category's words."""
        reason = case.decision_reason or ""
        if _code(case.kind) == "medical" and case.ground and reason.startswith(f"category {case.ground}: "):
            return self.ground("medical", case.ground)
        return reason


def _code(value: Any) -> str:
    return str(getattr(value, "value", value))

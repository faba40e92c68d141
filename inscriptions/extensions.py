"""Links that apps above add to an enrolment on the parent's « Inscriptions » page.

This app names no URL of theirs (DESIGN.md, "Architecture"; tests/test_architecture.py): an app
above registers, in its AppConfig.ready(), a function that receives a validated enrolment and
its activity and returns the links it offers (the canteen subscription is reservations')."""

from dataclasses import dataclass


@dataclass(frozen=True)
class EnrolmentLink:
    label: str
    url: str
    # Read after the label by screen readers, so that ten identical buttons stay distinct.
    hidden_detail: str = ""


LINK_PROVIDERS = []  # functions (enrolment, activity) -> list[EnrolmentLink]


def add_enrolment_links(provider) -> None:
    if provider not in LINK_PROVIDERS:
        LINK_PROVIDERS.append(provider)


def enrolment_links(enrolment, activity) -> list[EnrolmentLink]:
    return [link for provider in LINK_PROVIDERS for link in provider(enrolment, activity)]

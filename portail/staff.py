"""The "Éducation Jeunesse" staff group: the permissions daily work needs, no superuser."""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

STAFF_GROUP_NAME = "Éducation Jeunesse"

# app_label -> model -> actions. Health data is a separate, explicit permission.
STAFF_PERMISSIONS = {
    "familles": {
        # The front desk: families served at the counter, created by staff.
        "family": ("view", "add", "change"),
        "guardian": ("view", "add", "change"),
        "child": ("view", "add", "change"),
        "contact": ("view", "add", "change", "delete"),
        # Added only through the checked upload (a paper received at the counter).
        "document": ("view", "add"),
        "invitation": ("view",),
        "documentaccess": ("view",),
        # Letters to print come from the services; printing them is reading them.
        "letter": ("view",),
        "familyevent": ("view",),
    },
    "inscriptions": {
        "schoolyear": ("view", "add", "change"),
        # "change": fill and submit a file for a family (the front desk); deciding is apart.
        "annualfile": ("view", "change"),
        "familyquotient": ("view", "add"),
        "healthdataaccess": ("view",),
        "site": ("view", "add", "change"),
        "activity": ("view", "add", "change"),
        "activityunit": ("view", "add", "change", "delete"),
        "closureday": ("view", "add", "change"),
        # Families ask and withdraw; staff decide (decide_enrolment) and may move a request
        # to another site of its activity.
        # "add": ask an enrolment for a family, through the parents' service.
        "enrolment": ("view", "add", "change"),
    },
    "reservations": {
        "bookingperiod": ("view", "add", "change"),
        "deadlinerule": ("view", "add", "change"),
        "agegroup": ("view", "add", "change"),
        "capacityrule": ("view", "add", "change"),
        "slot": ("view", "add", "change"),
        # "add": book for a family, or justify an absence it reports by phone (front desk).
        "reservation": ("view", "add", "change"),
        "absencejustification": ("view", "add", "change"),
        "attendance": ("view", "add", "change"),
        "calendarfeed": ("view",),
        # Subscriptions are the families' choice; staff read them.
        "mealsubscription": ("view",),
        # Allocation: the commune's rules and priorities are the service's; wishes are the
        # families'; runs come from run_allocation and publish_allocation, given apart.
        "allocationrule": ("view", "change"),
        "allocationpriority": ("view", "add", "change", "delete"),
        "wish": ("view",),
        "allocation": ("view",),
    },
    "facturation": {
        # Tariffs and rules are the service's to set; a tariff is replaced by a newer one
        # (from a later date), never deleted.
        "tariff": ("view", "add", "change"),
        "tariffbracket": ("view", "add", "change", "delete"),
        "billingrule": ("view", "add", "change"),
        # Preparing a month's draft is "add" (issuing it is issue_billingrun). Invoices and
        # credit notes come from the runs and never change; payments are recorded, never
        # edited or deleted.
        "billingrun": ("view", "add"),
        "invoice": ("view",),
        "invoiceline": ("view",),
        # Reject fees to bill and as invoices bill them: made by the services, read only.
        "familycharge": ("view",),
        "invoicecharge": ("view",),
        "creditnote": ("view",),
        "payment": ("view", "add"),
        # Online payments no invoice took: staff refund them in Stripe, then tick the box.
        "unmatchedpayment": ("view", "change"),
        # Online attempts (every provider): read only, to answer a family and find refunds.
        "paymentattempt": ("view",),
        # Attestations: read them and prepare the January drafts ("add"); issuing one and
        # e-mailing it to the family is publish_attestation, given apart.
        "attestation": ("view", "add"),
        # Direct debit: record a paper mandate ("add"), revoke one ("change"); the
        # collection files and rejects are manage_direct_debit, given apart.
        "mandate": ("view", "add", "change"),
    },
    # The commune's settings are the service's to keep (contacts, delays, payment methods).
    "ground": {"outboxmessage": ("view",), "communesettings": ("view", "change")},
    # Messages to families: staff write and edit drafts (a draft may be dropped); sending
    # is send_message, given apart. Deliveries are the send's record: read, never edited.
    "portail": {"message": ("view", "add", "change", "delete"),
                "messagedelivery": ("view",),
                # Erasure requests: staff read them and their plan; approving or refusing is
                # approve_erasure, given to an individual agent (the DPO's contact), not to
                # the group.
                "erasurerequest": ("view",)},
}
EXTRA_PERMISSIONS = [
    ("familles", "view_health_document"),
    ("inscriptions", "view_health_data"),
    ("inscriptions", "decide_annualfile"),
    ("inscriptions", "decide_enrolment"),
    ("reservations", "decide_absencejustification"),
    ("reservations", "run_allocation"),
    ("reservations", "publish_allocation"),
    ("facturation", "issue_billingrun"),
    ("facturation", "publish_attestation"),
    ("facturation", "manage_direct_debit"),
    ("portail", "send_message"),
]


def staff_permissions():
    query = Q(pk__in=[])
    for app_label, models in STAFF_PERMISSIONS.items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            query |= Q(content_type__app_label=app_label, codename__in=codenames)
    for app_label, codename in EXTRA_PERMISSIONS:
        query |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(query)


def ensure_staff_group() -> Group:
    group, _created = Group.objects.get_or_create(name=STAFF_GROUP_NAME)
    group.permissions.set(staff_permissions())
    return group


def ensure_staff_group_after_migrate(sender, app_config=None, **kwargs):
    # post_migrate fires once per app that has models, in INSTALLED_APPS order, and each app's
    # permissions are created by its own signal: only the last such app sees them all (today
    # the roof, last in INSTALLED_APPS, with its messages to families; an app without models
    # is never sent it).
    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if app_config is not None and app_config.label == last.label:
        ensure_staff_group()

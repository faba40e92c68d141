"""Staff decisions on what a family sent, in the admin: accept it, or refuse it with a comment
e-mailed to the family (ground module: it imports no app)."""


from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _


class RefuseForm(forms.Form):
    """The reason of a refusal, sent to the family."""

    comment = forms.CharField(label=_("Motif du refus, envoyé à la famille"),
                              widget=forms.Textarea(attrs={"rows": 4}))


class DecisionAdminMixin:
    """Staff decide on what a family sent: accept it, or refuse it with a comment e-mailed to
    the family. Gives the per-object URLs `<app>_<model>_<accept_name>` (POST only) and
    `<app>_<model>_<refuse_name>` (the comment page), the bulk actions `<accept_name>_selected`
    and `<refuse_name>_selected` (list them in `actions`), and the decision buttons on the
    change page while the object is in `decision_state`. Everything needs `decide_permission`.

    The admin calls its services in `accept_object(obj, user)` and
    `refuse_object(obj, user, comment)`, and gives the words below. A service refuses a
    decision with a `ValidationError`, shown to the staff; the other objects are still decided.
    """

    decide_permission = ""  # "app_label.codename"
    decision_state = ""  # the state waiting for a decision
    refuse_form_class = RefuseForm  # a form with a required "comment" field
    accept_name, accept_path = "accept", "accepter"
    refuse_name, refuse_path = "refuse", "refuser"
    # Words: the change page's buttons, the comment page, the actions and the messages. A
    # message may count the decided objects with %(count)d.
    accept_button = refuse_button = refuse_comment_label = ""
    refuse_title = refuse_intro = refuse_submit = ""
    accept_description = refuse_description = ""
    accepted_message = refused_message = ""  # one object, from its page
    accepted_bulk_message = refused_bulk_message = ""  # the actions
    bulk_errors_name_the_object = False
    # A bulk acceptance first shows what it will do, with the counts (and the objects no
    # agent opened, `never_opened`), and decides only once confirmed.
    confirm_bulk_accept = False
    bulk_accept_title = bulk_accept_intro = bulk_accept_submit = ""
    change_form_template = "admin/decision_change_form.html"
    decision_comment_template = "admin/decision_comment.html"
    decision_confirm_template = "admin/decision_confirm.html"

    # The services ---------------------------------------------------------------------------
    def accept_object(self, obj, user):
        raise NotImplementedError

    def refuse_object(self, obj, user, comment):
        raise NotImplementedError

    # Permission -----------------------------------------------------------------------------
    def has_decide_permission(self, request):
        return request.user.has_perm(self.decide_permission)

    def _check_decide(self, request):
        if not self.has_decide_permission(request):
            raise PermissionDenied

    # URLs and the change page ---------------------------------------------------------------
    def _decision_url_name(self, name):
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_{name}"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(f"<int:pk>/{self.accept_path}/", view(self.accept_view),
                 name=self._decision_url_name(self.accept_name)),
            path(f"<int:pk>/{self.refuse_path}/", view(self.refuse_view),
                 name=self._decision_url_name(self.refuse_name)),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        # The buttons sit after the admin's own form (a form nested in a form is dropped by
        # browsers), only while a decision is due and for staff who may take it.
        if (obj is not None and obj.state == self.decision_state
                and self.has_decide_permission(request)):
            # The list's filters the page was opened with go along, back to the same list.
            context["decision"] = {
                "accept_url": self._with_filters(request, reverse(
                    f"admin:{self._decision_url_name(self.accept_name)}", args=[obj.pk])),
                "refuse_url": self._with_filters(request, reverse(
                    f"admin:{self._decision_url_name(self.refuse_name)}", args=[obj.pk])),
                "accept_button": self.accept_button, "refuse_button": self.refuse_button,
                "comment_label": self.refuse_comment_label,
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    # Deciding -------------------------------------------------------------------------------
    def _decide(self, request, objects, decide, success, *, bulk):
        done = 0
        for obj in objects:
            try:
                decide(obj)
            except ValidationError as exc:
                message = exc.messages[0]
                if bulk and self.bulk_errors_name_the_object:
                    message = f"{obj} : {message}"
                self.message_user(request, message, messages.WARNING if bulk else messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, success % {"count": done}, messages.SUCCESS)

    def _with_filters(self, request, url):
        """`url` carrying the change list's filters (the admin's preserved filters)."""
        return add_preserved_filters({"preserved_filters": self.get_preserved_filters(request),
                                      "opts": self.model._meta}, url)

    def _changelist(self, request):
        """Back to the change list as the staff had filtered it."""
        return redirect(self._with_filters(
            request, reverse(f"admin:{self._decision_url_name('changelist')}")))

    def describe_for_decision(self, obj):
        """How an object is listed on the comment page."""
        return f"{obj} ({obj.get_state_display()})"

    def _comment_page(self, request, objects, form, action=None):
        return TemplateResponse(request, self.decision_comment_template, {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": self.refuse_title, "intro": self.refuse_intro,
            "submit": self.refuse_submit, "form": form, "action": action,
            "objects": [(obj, self.describe_for_decision(obj)) for obj in objects],
        })

    def accept_view(self, request, pk):
        self._check_decide(request)
        obj = get_object_or_404(self.model, pk=pk)
        if request.method == "POST":  # a GET decides nothing
            self._decide(request, [obj], lambda o: self.accept_object(o, request.user),
                         self.accepted_message, bulk=False)
        return self._changelist(request)

    def refuse_view(self, request, pk):
        self._check_decide(request)
        obj = get_object_or_404(self.model, pk=pk)
        form = self.refuse_form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            comment = form.cleaned_data["comment"]
            self._decide(request, [obj], lambda o: self.refuse_object(o, request.user, comment),
                         self.refused_message, bulk=False)
            return self._changelist(request)
        return self._comment_page(request, [obj], form)

    # Bulk actions ---------------------------------------------------------------------------
    def never_opened(self, objects) -> list:
        """Among `objects` waiting for a decision, those no agent has opened yet."""
        return []

    def _accept_confirmation(self, request, objects):
        waiting = [obj for obj in objects if obj.state == self.decision_state]
        unopened = self.never_opened(waiting)
        return TemplateResponse(request, self.decision_confirm_template, {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": self.bulk_accept_title, "intro": self.bulk_accept_intro,
            "submit": self.bulk_accept_submit, "objects": objects,
            "action": f"{self.accept_name}_selected",
            "selected": len(objects), "waiting": len(waiting),
            "not_waiting": len(objects) - len(waiting),
            "unopened": [(obj, self._with_filters(request, reverse(
                f"admin:{self._decision_url_name('change')}", args=[obj.pk])))
                for obj in unopened],
            "changelist_url": self._with_filters(request, reverse(
                f"admin:{self._decision_url_name('changelist')}")),
        })

    @admin.action(permissions=["decide"])
    def _accept_selected(self, request, queryset):
        objects = queryset.order_by("pk")
        if self.confirm_bulk_accept and request.POST.get("post") != "yes":
            return self._accept_confirmation(request, list(objects))
        self._decide(request, objects, lambda o: self.accept_object(o, request.user),
                     self.accepted_bulk_message, bulk=True)

    @admin.action(permissions=["decide"])
    def _refuse_selected(self, request, queryset):
        form = self.refuse_form_class(request.POST if "comment" in request.POST else None)
        if form.is_bound and form.is_valid():
            comment = form.cleaned_data["comment"]
            self._decide(request, queryset.order_by("pk"),
                         lambda o: self.refuse_object(o, request.user, comment),
                         self.refused_bulk_message, bulk=True)
            return None
        name = f"{self.refuse_name}_selected"
        return self._comment_page(request, queryset.order_by("pk"), form, action=name)

    def get_action(self, action):
        # The actions are named after the decisions ("validate_selected", "refuse_selected"…).
        if action == f"{self.accept_name}_selected":
            return DecisionAdminMixin._accept_selected, action, self.accept_description
        if action == f"{self.refuse_name}_selected":
            return DecisionAdminMixin._refuse_selected, action, self.refuse_description
        return super().get_action(action)

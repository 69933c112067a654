"""The staff admin, with a second factor where the deployment requires one.

``TRACKER_REQUIRE_2FA`` decides who must confirm a one-time code from an
authenticator app (django-otp TOTP) after their password: ``superusers`` (the
production default), ``staff`` (everyone), or ``none`` (local development).
A user who must use a second factor but has not enrolled a device is sent to enrol one
(``commitments.admin.accounts``) before any other admin page.
"""

import sys
from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import (
    BadRequest,
    FieldDoesNotExist,
    ObjectDoesNotExist,
    PermissionDenied,
)
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django_otp import devices_for_user, user_has_device
from django_otp.admin import OTPAdminAuthenticationForm


def second_factor_required(user):
    policy = settings.TRACKER_REQUIRE_2FA
    return policy == "staff" or (policy == "superusers" and user.is_superuser)


ROLE_HINT = (
    "Your account's role does not allow this page. Editors log companies, pledges and "
    "sources and move deadlines; recording a verdict needs the Reviewer role."
)


def needs_enrolment(user):
    """Logged-in staff whose second factor is required but who have no device yet."""
    return (
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and second_factor_required(user)
        and not user_has_device(user, confirmed=True)
    )


class LoginForm(OTPAdminAuthenticationForm):
    """Password, then a one-time code from users who have enrolled an authenticator.

    django-otp's own form demands a code from everyone; whether a user without a
    device may in is ``TrackerAdminSite.has_permission``'s decision, not the form's.
    """

    def clean(self):
        self.cleaned_data = AdminAuthenticationForm.clean(self)
        user = self.get_user()
        if user is not None and (user_has_device(user) or self.cleaned_data.get("otp_token")):
            self.clean_otp(user)
        return self.cleaned_data

    def _chosen_device(self, user):
        """Without a device picker, a 6-digit code is for the authenticator app, anything
        else a backup code — so staff never have to choose a device by hand."""
        device = super()._chosen_device(user)
        if device is None:
            token = self.cleaned_data.get("otp_token") or ""
            wanted = "totp" if token.isdigit() and len(token) == 6 else "static"
            device = next(
                (
                    d
                    for d in devices_for_user(user, for_verify=True)
                    if wanted in type(d).__name__.lower()
                ),
                None,
            )
        return device


def _too_many_digits(text):
    limit = sys.get_int_max_str_digits()  # 0: the interpreter converts any length
    return bool(limit) and len(text) > limit and text.isdigit()


class TrackerAdminSite(admin.AdminSite):
    site_header = "Commitment Tracker staff"
    site_title = "Commitment Tracker staff"
    index_title = "Pledges, sources and verdicts"
    login_form = LoginForm
    login_template = "admin/login_otp.html"

    def admin_view(self, view, cacheable=False):
        """Every admin page (ours and the packages': auth, axes, otp), refusing with 400 the
        input no lookup can use, which the admin would otherwise answer with a 500:

        - a NUL byte anywhere in the query or the URL: PostgreSQL text cannot hold one, so a
          list filter such as ``?status__exact=%00`` raised DataError there;
        - a number too big for a date: ``?created_at__year=99999999999999999999`` raised
          OverflowError in the changelist's date filters, which Django lets through
          (it only turns ValueError into its "invalid lookup" redirect).

        - a number of more digits than Python turns into an int (4,300 by default): a
          pledge's history page with such an id raised ValueError in its source lookup;
        - a field that does not exist: Django's delete page with an empty ``?_to_field=``
          raised FieldDoesNotExist.

        And an object that does not exist is a 404 here as in Django's own admin views, also
        in the packages' extra views (django-otp's device config page used ``.get()``).
        """

        @wraps(view)
        def refuse_unusable_input(request, *args, **kwargs):
            texts = [*args, *kwargs.values(), *request.GET.keys()]
            texts += [value for _name, values in request.GET.lists() for value in values]
            if any("\x00" in str(text) for text in texts):
                raise BadRequest("A NUL byte cannot be looked up.")
            # Posted values too: an action's selected ids are looked up as numbers.
            posted = [value for _name, values in request.POST.lists() for value in values]
            if any(_too_many_digits(str(text)) for text in [*texts, *posted]):
                raise BadRequest("A number too large to look up.")
            try:
                return view(request, *args, **kwargs)
            except OverflowError as exc:
                raise BadRequest("A number too large to look up.") from exc
            except FieldDoesNotExist as exc:
                raise BadRequest(str(exc)) from exc
            except ObjectDoesNotExist as exc:
                raise Http404(str(exc)) from exc
            except PermissionDenied as exc:
                from commitments.admin.permissions import denied

                return denied(request, str(exc) or ROLE_HINT)

        checked = super().admin_view(refuse_unusable_input, cacheable)

        @wraps(view)
        def enrol_first(request, *args, **kwargs):
            if needs_enrolment(request.user):
                return redirect("admin:two_factor")
            return checked(request, *args, **kwargs)

        return enrol_first

    def get_urls(self):
        from commitments.admin import accounts, preferences

        return [
            path("invite/", self.admin_view(accounts.invite_view), name="invite"),
            path("welcome/<uidb64>/<token>/", accounts.welcome_view, name="welcome"),
            path("two-factor/", accounts.two_factor_view, name="two_factor"),
            path(
                "reminder-emails/",
                self.admin_view(preferences.reminder_emails_view),
                name="reminder_emails",
            ),
            *super().get_urls(),
        ]

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return request.user.is_verified() or not second_factor_required(request.user)

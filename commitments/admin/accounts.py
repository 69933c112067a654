"""Staff accounts without a shell: invitations, and two-factor enrolment in the admin.

Invitation: someone who may add users names an email address and a role. The account is
created with no usable password, and the invitee is emailed a link to choose one. The link
is Django's password-reset token: signed, expiring after ``PASSWORD_RESET_TIMEOUT``, and
single use (it hashes the password, which choosing one changes). Where two-factor is
required, enrolment follows at once.

Two-factor: an unconfirmed TOTP device is shown as a QR code drawn on the server (segno, a
``data:`` image the CSP allows) and as a key to type; it counts only once a code from the
app confirms it. Ten backup codes (django-otp's static device) are then shown once. An
administrator resets a lost device with the "Reset two-factor" action on the user list.
Only an account with no confirmed device may enrol: one that has a device must use it.
"""

import segno
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from commitments.admin.permissions import denied
from commitments.admin.preferences import ReminderPreferenceInline
from commitments.domain import site

User = get_user_model()
ROLES = {"Editors": "Editor", "Reviewers": "Reviewer"}
BACKUP_CODES = 10


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=list(ROLES.items()))

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("Someone with this address already has an account.")
        return email


def _username_for(email):
    base = email.split("@", 1)[0][:140] or "staff"
    username, n = base, 2
    while User.objects.filter(username=username).exists():
        username, n = f"{base}{n}", n + 1
    return username


def welcome_url(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site.absolute(reverse("admin:welcome", args=[uid, token]))


@transaction.atomic
def invite(email, role, invited_by):
    """Create the account and email its link; if the email cannot be sent, nothing is kept."""
    user = User(username=_username_for(email), email=email, is_staff=True)
    user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get(name=role))
    context = {
        "invited_by": invited_by,
        "role": ROLES[role],
        "url": welcome_url(user),
        "site_url": site.absolute("/"),
    }
    send_mail(
        "You are invited to Commitment Tracker",
        render_to_string("admin/accounts/invitation_email.txt", context),
        None,
        [email],
    )
    return user


def invite_view(request):
    if not request.user.has_perm("auth.add_user"):
        return denied(
            request, "Inviting a colleague needs the right to add users (an administrator)."
        )
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email, role = form.cleaned_data["email"], form.cleaned_data["role"]
        try:
            invite(email, role, request.user)
        except OSError as error:  # SMTP refused or unreachable: the account was rolled back
            form.add_error(
                None, f"The invitation could not be sent ({error}); nothing was created."
            )
        else:
            messages.success(request, f"Invitation sent to {email} as {ROLES[role]}.")
            return redirect("admin:invite")
    context = {**admin.site.each_context(request), "form": form, "title": "Invite a colleague"}
    return render(request, "admin/accounts/invite.html", context)


def _invited_user(uidb64, token):
    try:
        user = User.objects.get(pk=urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None
    return user if user.is_active and default_token_generator.check_token(user, token) else None


def welcome_view(request, uidb64, token):
    user = _invited_user(uidb64, token)
    if user is None:
        context = {**admin.site.each_context(request), "title": "This link no longer works"}
        return render(request, "admin/accounts/bad_link.html", context, status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        from tracker.admin_site import second_factor_required

        if second_factor_required(user):
            return redirect("admin:two_factor")
        messages.success(request, "Welcome! Your password is set.")
        return redirect("admin:index")
    context = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,  # nothing in it is theirs yet
        "form": form,
        "invitee": user,
        "title": "Choose your password",
    }
    return render(request, "admin/accounts/welcome.html", context)


class CodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label="Code from your authenticator app",
        error_messages={"invalid": "Enter the 6-digit code your app shows now."},
    )


def two_factor_view(request):
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return redirect(f"{reverse('admin:login')}?next={request.path}")
    if user_has_device(user, confirmed=True):
        context = {**admin.site.each_context(request), "title": "Two-factor is on"}
        return render(request, "admin/accounts/two_factor_on.html", context)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "authenticator"}
    )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            codes = _confirm(user, device)
            otp_login(request, device)
            context = {**admin.site.each_context(request), "codes": codes, "title": "Backup codes"}
            return render(request, "admin/accounts/backup_codes.html", context)
        form.add_error(
            "code", "That code did not match. Check the app's clock and try the next code."
        )
    context = {
        **admin.site.each_context(request),
        "form": form,
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=4),
        "key": device.config_url.split("secret=", 1)[1].split("&", 1)[0],
        "is_nav_sidebar_enabled": False,
        "title": "Turn on two-factor",
    }
    return render(request, "admin/accounts/two_factor.html", context)


@transaction.atomic
def _confirm(user, device):
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name="backup codes")
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=code) for code in codes])
    return codes


@admin.action(description="Reset two-factor (the user enrols again at next login)")
def reset_two_factor(modeladmin, request, queryset):
    if not request.user.is_superuser:
        messages.error(request, "Only a superuser can reset someone's two-factor.")
        return
    for device_model in (TOTPDevice, StaticDevice):
        device_model.objects.filter(user__in=queryset).delete()
    messages.success(request, f"Two-factor reset for {queryset.count()} user(s).")


class StaffUserAdmin(UserAdmin):
    actions = [reset_two_factor]
    inlines = [ReminderPreferenceInline]


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)

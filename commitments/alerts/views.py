"""The public alert pages: sign up, confirm, unsubscribe in one click, manage.

The signed token in each link is the only credential: there are no accounts.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from commitments.alerts import subscriptions, tokens
from commitments.alerts.forms import ManageForm, SubscribeForm, slug_or_blank
from commitments.mail.alert_messages import ONE_CLICK
from commitments.models import Company, Pledge, Subscriber, Subscription


def _rate_per_ip(group, request):
    return settings.TRACKER_ALERT_RATE_PER_IP


def _rate_per_address(group, request):
    return settings.TRACKER_ALERT_RATE_PER_ADDRESS


def _address_key(group, request):
    # Normalised, so "Ann@Example.org " and "ann@example.org" share one allowance.
    return Subscriber.normalise(request.POST.get("email", ""))[:254]


def _bad_link(request):
    return render(request, "alerts/bad_link.html", status=400)


# CSRF-exempt on purpose: the sign-up form sits on cached public pages that must carry no
# per-visitor token. A forged sign-up achieves nothing: it only sends a confirmation to the
# address given, nothing is followed until its owner confirms, and both the address and the
# sender's IP are rate limited. Every other state-changing alert view keeps CSRF protection
# (or, for one-click unsubscribe, a signed URL).
@csrf_exempt
@require_http_methods(["GET", "POST"])
@ratelimit(group="alerts:subscribe:ip", key="ip", rate=_rate_per_ip, method="POST", block=False)
@ratelimit(
    group="alerts:subscribe:address",
    key=_address_key,
    rate=_rate_per_address,
    method="POST",
    block=False,
)
def subscribe(request):
    if request.method == "GET":
        pledges = Pledge.objects.published()
        pledge = pledges.filter(slug=slug_or_blank(request.GET.get("pledge"))).first()
        company = (
            Company.objects.public().filter(slug=slug_or_blank(request.GET.get("company"))).first()
        )
        form = SubscribeForm(pledge=pledge, company=company)
        return render(request, "alerts/subscribe.html", {"form": form})
    if request.limited:
        return render(request, "alerts/rate_limited.html", status=429)
    form = SubscribeForm.from_post(request.POST)
    if not form.is_valid():
        return render(request, "alerts/subscribe.html", {"form": form})
    scope, pledge, company = form.target()
    subscriptions.request_subscription(
        form.cleaned_data["email"],
        scope,
        form.cleaned_data["topics"],
        pledge=pledge,
        company=company,
    )
    # The same page whatever the address's state: the form must not reveal who follows what.
    return render(request, "alerts/check_inbox.html")


@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """GET shows a button, so a mail scanner opening the link confirms nothing."""
    try:
        pk = tokens.read(tokens.CONFIRM, token)
    except tokens.BadToken:
        return _bad_link(request)
    if request.method == "GET":
        subscription = Subscription.objects.filter(pk=pk).select_related("pledge", "company")
        subscription = subscription.first()
        if subscription is None:
            return _bad_link(request)
        return render(request, "alerts/confirm.html", {"subscription": subscription})
    subscription = subscriptions.confirm(pk)
    if subscription is None:
        return _bad_link(request)
    context = {
        "subscription": subscription,
        "manage_url": tokens.manage_url(subscription.subscriber),
    }
    return render(request, "alerts/confirmed.html", context)


@csrf_exempt  # RFC 8058: mail providers POST without cookies; the signed URL is the credential.
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET asks; POST with ``List-Unsubscribe=One-Click`` leaves everything (idempotent)."""
    try:
        pk = tokens.read(tokens.UNSUBSCRIBE, token)
    except tokens.BadToken:
        return _bad_link(request)
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") != ONE_CLICK.split("=", 1)[1]:
            return render(request, "alerts/unsubscribe.html", status=400)
        subscriptions.leave_everything(pk)
        return render(request, "alerts/unsubscribed.html")
    if not Subscriber.objects.filter(pk=pk).exists():
        return render(request, "alerts/unsubscribed.html")
    return render(request, "alerts/unsubscribe.html")


@require_http_methods(["GET", "POST"])
def manage(request, token):
    try:
        pk = tokens.read(tokens.MANAGE, token)
    except tokens.BadToken:
        return _bad_link(request)
    subscriber = Subscriber.objects.filter(pk=pk).first()
    if subscriber is None:
        return render(request, "alerts/unsubscribed.html")
    following = subscriber.subscriptions.confirmed().select_related("pledge__company", "company")
    if request.method == "POST" and "leave" in request.POST:
        subscriptions.leave_everything(subscriber.pk)
        return render(request, "alerts/unsubscribed.html")
    form = ManageForm(request.POST or None, subscriptions=following)
    if request.method == "POST" and form.is_valid():
        keep, drop = form.changes()
        for subscription, topics in keep:
            subscription.set_topics(topics)
            subscription.save()
        if drop and subscriptions.stop_following(subscriber, [s.pk for s in drop]):
            return render(request, "alerts/unsubscribed.html")
        messages.success(request, "Your alerts are saved.")
        return redirect(request.path)
    return render(request, "alerts/manage.html", {"form": form})

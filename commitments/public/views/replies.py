"""The company's reply page, reached only through the signed link in a request for comment.

The link is the only credential: no account. Whatever is wrong with a link — damaged,
cancelled by staff, past the reply-by day plus the grace days, or for a request that no
longer exists — the page says the same thing and names whom to write to, so a guessed or
altered link learns nothing about any request. Once a reply is in, the link shows what
was sent. Never cached: each answer depends on the request's row at that moment.
"""

from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from commitments.domain import replies, reply_tokens
from commitments.models import Reply, ReplyRequest
from commitments.public.reply_forms import ReplyForm


def _rate_per_ip(group, request):
    return settings.TRACKER_REPLY_RATE_PER_IP


def contact_address():
    return parseaddr(settings.TRACKER_CONTACT_EMAIL)[1] or settings.TRACKER_CONTACT_EMAIL


def _respond(request, template, context=None, status=200):
    context = {"contact_email": contact_address(), **(context or {})}
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _dead_link(request):
    return _respond(request, "replies/dead_link.html", status=410)


def _sent(request, reply_request, status=200, again=False):
    reply = Reply.objects.get(request=reply_request)
    context = {
        "reply_request": reply_request,
        "reply": reply,
        "again": again,
        "thanks": request.GET.get("sent") == "1" and not again,
    }
    return _respond(request, "replies/sent.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit(group="replies:ip", key="ip", rate=_rate_per_ip, method="POST", block=False)
def reply(request, token):
    try:
        pk = reply_tokens.read(token)
    except reply_tokens.BadToken:
        return _dead_link(request)
    reply_request = ReplyRequest.objects.select_related("pledge__company").filter(pk=pk).first()
    if reply_request is None:
        return _dead_link(request)
    problem = replies.link_problem(reply_request)
    if problem == "answered":
        return _sent(
            request,
            reply_request,
            status=200 if request.method == "GET" else 409,
            again=request.method == "POST",
        )
    if problem:
        return _dead_link(request)

    if request.method == "GET":
        replies.mark_opened(reply_request)
        form = ReplyForm()
    else:
        if request.limited:
            return _respond(request, "replies/rate_limited.html", status=429)
        form = ReplyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                replies.submit_reply(
                    reply_request.pk,
                    body=data["body"],
                    links=data["links"],
                    name=data["name"],
                    role=data["role"],
                )
            except replies.LinkRefused as refused:
                if refused.reason == "answered":
                    return _sent(request, reply_request, status=409, again=True)
                return _dead_link(request)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                return redirect(request.path + "?sent=1")
    pledge = reply_request.pledge
    context = {
        "reply_request": reply_request,
        "pledge": pledge,
        "company": pledge.company,
        "sources": pledge.sources.order_by("published_on", "pk"),
        "events": pledge.events.current()
        .prefetch_related("sources")
        .order_by("-occurred_on", "-pk")[:20],
        "form": form,
    }
    return _respond(request, "replies/reply.html", context, status=400 if form.is_bound else 200)

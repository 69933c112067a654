"""The payments inline on a pledge: where editors follow the money.

A row with a source is a confirmed payment: saving it calls
``commitments.domain.workflow.record_disbursement``, which writes the dated "payment
confirmed" event that reaches the timeline, feeds, API and followers. Once confirmed a
row is read-only (its event tells of it); a confirmation recorded in error is withdrawn
on its own page (``withdraw_payment_view``), with a public reason, and the row stays,
read-only, marked withdrawn. A row without a source is a recipient the
company announced, with the amount announced if any; it counts for nothing until a
source confirms it, and staff confirm it by choosing that source and the date.

The forms check what the workflow would refuse (amount, currency, date, source, the
total against the pledge), so a save never fails halfway with an error page.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from commitments.domain import calendar, workflow
from commitments.domain.amounts import short_amount
from commitments.models import Disbursement, Source


class DisbursementForm(forms.ModelForm):
    class Meta:
        model = Disbursement
        fields = ["recipient", "amount", "currency", "paid_on", "source"]

    def __init__(self, *args, pledge=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pledge = pledge
        if self.is_frozen:
            for field in self.fields.values():
                field.disabled = True
        if pledge is not None and pledge.currency and not self.instance.pk:
            self.fields["currency"].initial = pledge.currency
        self.fields["currency"].required = False
        self.fields["currency"].help_text = "Left empty: the pledge's currency."

    @property
    def is_frozen(self):
        """Confirmed or withdrawn: the history tells of it, so it is never edited."""
        return bool(self.instance.pk) and (self.instance.is_confirmed or self.instance.is_withdrawn)

    def clean(self):
        data = super().clean()
        if self.is_frozen:
            return data
        pledge = self.pledge
        amount, source, paid_on = data.get("amount"), data.get("source"), data.get("paid_on")
        currency = (data.get("currency") or (pledge.currency if pledge else "") or "").upper()
        data["currency"] = currency
        errors = {}
        if amount is not None and amount <= 0:
            errors["amount"] = "The amount must be more than zero."
        if pledge is not None and pledge.amount_pledged is None:
            errors["amount"] = "Give the pledge's amount and currency before recording payments."
        elif pledge is not None and currency != (pledge.currency or "").upper():
            errors["currency"] = (
                f"Payments are recorded in the pledge's currency, {pledge.currency}."
            )
        if paid_on is not None and paid_on > calendar.today():
            errors["paid_on"] = "The payment date cannot be in the future."
        if source is not None:
            if pledge is None or source.pledge_id != pledge.pk:
                errors["source"] = "The source must belong to this pledge."
            if amount is None:
                errors.setdefault("amount", "A confirmed payment needs its amount.")
            if paid_on is None:
                errors["paid_on"] = (
                    "Give the day of the payment (or the day the source reports it)."
                )
            if not (data.get("recipient") or "").strip():
                errors["recipient"] = "Name the organisation that was paid."
        if errors:
            raise ValidationError(errors)
        return data


class DisbursementFormSet(forms.BaseInlineFormSet):
    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "pledge": self.instance}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            pledge=self.instance,
            renderer=self.renderer,
        )
        self.add_fields(form, None)
        return form

    def clean(self):
        super().clean()
        pledge = self.instance
        if any(self.errors) or pledge is None or pledge.amount_pledged is None:
            return
        total = Decimal(0)
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE"):
                if form.is_frozen:
                    raise ValidationError(
                        "A confirmed payment stays: the pledge's history tells of it. If it "
                        "was recorded in error, withdraw its confirmation instead."
                    )
                continue
            if form.instance.pk and form.instance.is_withdrawn:
                continue  # counts for nothing: only the corrections page tells of it
            if form.cleaned_data.get("source") is not None:
                total += form.cleaned_data["amount"]
        if total > pledge.amount_pledged and not pledge.delivered_may_exceed_pledged:
            raise ValidationError(
                f"Confirmed payments would reach {short_amount(total, pledge.currency)}, more "
                f"than the {short_amount(pledge.amount_pledged, pledge.currency)} pledged. "
                "Tick “delivered may exceed pledged” if the company really gave more."
            )


class DisbursementInline(admin.TabularInline):
    model = Disbursement
    form = DisbursementForm
    formset = DisbursementFormSet
    extra = 0
    fields = ["recipient", "amount", "currency", "paid_on", "source", "confirmation"]
    readonly_fields = ["confirmation"]
    verbose_name = "payment"
    verbose_name_plural = "payments (confirmed when a source is chosen)"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "source":
            # Only this pledge's sources (one added with the "+" button counts at save).
            object_id = request.resolver_match.kwargs.get("object_id", "")
            pledge_id = int(object_id) if object_id.isdigit() else None
            kwargs["queryset"] = Source.objects.filter(pledge_id=pledge_id)
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            # Read once for the whole inline, not once per row (saves still check the queryset).
            field.choices = list(field.choices)
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="status")
    def confirmation(self, disbursement):
        if disbursement.pk is None:
            return "—"
        if disbursement.is_withdrawn:
            return f"confirmation withdrawn: {disbursement.withdrawn_reason}"
        if disbursement.is_confirmed:
            by = f" by {disbursement.recorded_by}" if disbursement.recorded_by else ""
            url = reverse(
                "admin:commitments_pledge_withdraw_payment",
                args=[disbursement.pledge_id, disbursement.pk],
            )
            return format_html('confirmed{} · <a href="{}">withdraw…</a>', by, url)
        return "announced, not confirmed"


def save_payments(request, pledge, formset):
    """Save the inline: confirmations through the workflow, announced rows as they are."""
    instances = formset.save(commit=False)
    for obj in formset.deleted_objects:
        obj.delete()
    for obj in instances:
        was_confirmed = (
            obj.pk is not None
            and Disbursement.objects.filter(pk=obj.pk, source__isnull=False).exists()
        )
        if obj.source_id is not None and not was_confirmed:
            workflow.record_disbursement(
                pledge,
                recipient=obj.recipient,
                amount=obj.amount,
                currency=obj.currency,
                paid_on=obj.paid_on,
                source=obj.source,
                disbursement=obj if obj.pk else None,
                actor=request.user,
            )
        elif not was_confirmed:
            if obj.pk is None:
                obj.recorded_by = request.user
            obj.save()


class WithdrawPaymentForm(forms.Form):
    reason = forms.CharField(
        max_length=workflow.WITHDRAW_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Public: the pledge's history, the corrections page and the followers' "
        "email give it. "
        "For example: “The source reports $1M, not $10M; entered in error.”",
    )


def withdraw_payment_view(model_admin, request, object_id, payment_id):
    """Withdraw a payment confirmation recorded in error, with a public reason."""
    if not request.user.has_perm("commitments.change_disbursement"):
        raise PermissionDenied(
            "Withdrawing a payment confirmation needs the Editor or Reviewer role."
        )
    pledge = model_admin.get_object(request, unquote(object_id))
    payment = pledge and pledge.disbursements.filter(pk=payment_id).first()
    if payment is None:
        raise Http404("No such payment on this pledge.")
    change_url = reverse("admin:commitments_pledge_change", args=[pledge.pk])
    form = WithdrawPaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.withdraw_disbursement(
                pledge, payment, reason=form.cleaned_data["reason"], actor=request.user
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Withdrew the confirmation of {payment}.")
            return HttpResponseRedirect(change_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Withdraw a payment confirmation",
        "subtitle": str(pledge),
        "opts": model_admin.opts,
        "original": pledge,
        "pledge": pledge,
        "payment": payment,
        "form": form,
        "change_url": change_url,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/commitments/pledge/withdraw_payment.html", context)

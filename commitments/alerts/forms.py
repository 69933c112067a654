from django import forms
from django.core.validators import slug_re

from commitments.models import Company, Pledge, Subscriber, Subscription

Scope, Topic = Subscription.Scope, Subscription.Topic


def slug_or_blank(value):
    """A slug from the request, or "" for anything else: a NUL byte would crash PostgreSQL."""
    return value if isinstance(value, str) and slug_re.fullmatch(value) else ""


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter a complete email address, like name@example.org.",
        },
    )
    scope = forms.ChoiceField(
        label="Follow",
        choices=Scope.choices,
        initial=Scope.ALL,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what to follow.",
            "invalid_choice": "That can no longer be followed. Choose another option.",
        },
    )
    topics = forms.MultipleChoiceField(
        label="Email me when",
        choices=Topic.choices,
        initial=list(Subscription.DEFAULT_TOPICS),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one kind of news."},
    )
    pledge = forms.SlugField(required=False, widget=forms.HiddenInput)
    company = forms.SlugField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, pledge=None, company=None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        if pledge is not None:
            initial.update(pledge=pledge.slug, company=pledge.company.slug, scope=Scope.PLEDGE)
        elif company is not None:
            initial.update(company=company.slug, scope=Scope.COMPANY)
        super().__init__(*args, **kwargs)
        self.pledge_obj, self.company_obj = pledge, company
        self.fields["scope"].choices = self.scope_choices()

    def scope_choices(self):
        """Only the scopes that make sense where the form is shown."""
        choices = []
        if self.pledge_obj is not None:
            choices.append((Scope.PLEDGE, "This pledge"))
        company = self.pledge_obj.company if self.pledge_obj is not None else self.company_obj
        if company is not None:
            choices.append((Scope.COMPANY, f"Every pledge by {company.name}"))
        return [*choices, (Scope.ALL, "Every pledge on the tracker")]

    def clean_email(self):
        return Subscriber.normalise(self.cleaned_data["email"])

    def target(self):
        """What the valid form subscribes to: (scope, pledge, company)."""
        return self.cleaned_data["scope"], self.pledge_obj, self.company_obj

    @classmethod
    def from_post(cls, data):
        """Bind a submitted form, resolving its hidden pledge/company to published rows."""
        pledge = Pledge.objects.published().select_related("company")
        pledge = pledge.filter(slug=slug_or_blank(data.get("pledge"))).first()
        company = Company.objects.public().filter(slug=slug_or_blank(data.get("company"))).first()
        if pledge is not None:
            company = pledge.company
        return cls(data, pledge=pledge, company=company)


class ManageForm(forms.Form):
    """One row per subscription: its topics, and a box to stop following it."""

    def __init__(self, *args, subscriptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for subscription in subscriptions:
            topics = forms.MultipleChoiceField(
                label=f"Email me about {subscription.target_label} when",
                choices=Topic.choices,
                initial=subscription.topics,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            remove = forms.BooleanField(label="Stop following this", required=False)
            self.fields[f"topics_{subscription.pk}"] = topics
            self.fields[f"remove_{subscription.pk}"] = remove
            self.rows.append(
                (subscription, self[f"topics_{subscription.pk}"], self[f"remove_{subscription.pk}"])
            )

    def changes(self):
        """(subscription, topics) to keep and the subscriptions to drop.

        A subscription left with no topics at all is dropped too.
        """
        keep, drop = [], []
        for subscription, topics, remove in self.rows:
            chosen = self.cleaned_data[topics.name]
            if self.cleaned_data[remove.name] or not chosen:
                drop.append(subscription)
            else:
                keep.append((subscription, chosen))
        return keep, drop

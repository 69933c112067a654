import datetime as dt
import importlib

import factory
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from commitments.models import (
    Company,
    CompanyContact,
    Disbursement,
    Pledge,
    PledgeEvent,
    Reply,
    ReplyRequest,
    Source,
)


def ensure_roles():
    """Re-create the Editors/Reviewers groups with the permissions the data migrations give.

    Transactional tests (the browser tests) flush the database between tests,
    which removes data that migrations created; this puts the roles back.
    """
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Permission

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    roles = importlib.import_module("commitments.migrations.0003_staff_roles").ROLES
    page_codenames = importlib.import_module(
        "commitments.migrations.0005_editors_edit_pages"
    ).PAGE_PERMISSIONS
    money_codenames = importlib.import_module(
        "commitments.migrations.0015_money_followed"
    ).PERMISSIONS
    page_permissions = Permission.objects.filter(
        content_type__app_label="commitments", codename__in=[*page_codenames, *money_codenames]
    )
    reply_roles = importlib.import_module("commitments.migrations.0014_right_of_reply").ROLES
    for name, wanted in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            [
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
                for app_label, codename in wanted
            ]
            + list(page_permissions)
            + list(
                Permission.objects.filter(
                    content_type__app_label="commitments", codename__in=reply_roles[name]
                )
            )
        )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def groups(self, create, names, **kwargs):
        if create and names:
            if Group.objects.filter(name__in=names).count() < len(set(names)):
                ensure_roles()
            self.groups.set([Group.objects.get(name=name) for name in names])
        if create:
            self.save()


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.LazyAttribute(lambda c: c.name.lower().replace(" ", "-"))
    website = factory.LazyAttribute(lambda c: f"https://{c.slug}.example.com/")


class PledgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pledge

    company = factory.SubFactory(CompanyFactory)
    title = factory.Sequence(lambda n: f"Pledge number {n}")
    slug = factory.Sequence(lambda n: f"pledge-{n}")
    summary = "A pledge made in public."
    success_criteria = "The company does what it said."
    category = Pledge.Category.POLICY_CHANGE
    announced_on = dt.date(2020, 6, 10)
    deadline = dt.date(2021, 6, 10)
    is_published = True


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    pledge = factory.SubFactory(PledgeFactory)
    url = factory.Sequence(lambda n: f"https://news.example.com/story-{n}")
    title = factory.Sequence(lambda n: f"Story {n}")
    publisher = "Example News"
    published_on = dt.date(2020, 6, 10)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PledgeEvent

    pledge = factory.SubFactory(PledgeFactory)
    kind = PledgeEvent.Kind.NOTE
    occurred_on = dt.date(2020, 7, 1)
    rationale = "Something happened."


class DisbursementFactory(factory.django.DjangoModelFactory):
    """A confirmed payment, written directly (no event): ``workflow.record_disbursement``
    is what staff use, and what tests of the history call."""

    class Meta:
        model = Disbursement

    pledge = factory.SubFactory(
        PledgeFactory, amount_pledged=10_000_000, currency="USD", is_published=True
    )
    recipient = factory.Sequence(lambda n: f"Charity {n}")
    amount = 1000
    currency = factory.LazyAttribute(lambda d: d.pledge.currency)
    paid_on = dt.date(2020, 7, 1)
    source = factory.LazyAttribute(lambda d: SourceFactory(pledge=d.pledge))


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyContact

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    role = "Head of Communications"
    email = factory.Sequence(lambda n: f"contact{n}@company.example.com")


class ReplyRequestFactory(factory.django.DjangoModelFactory):
    """A request as if sent (no email: use ``replies.ask_for_response`` for the real thing)."""

    class Meta:
        model = ReplyRequest
        skip_postgeneration_save = True

    pledge = factory.SubFactory(PledgeFactory)
    question = "Has the pledge been kept?"
    reply_by = dt.date(2021, 6, 24)

    @factory.post_generation
    def contacts(self, create, contacts, **kwargs):
        if create:
            self.contacts.set(contacts or [ContactFactory(company=self.pledge.company)])


class ReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reply

    request = factory.SubFactory(ReplyRequestFactory)
    body = "We kept it: see our report."
    links = factory.LazyFunction(lambda: ["https://company.example.com/report"])
    name = "Pat Example"
    role = "Head of Sustainability"

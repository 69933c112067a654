import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from commitments.models import Company, Pledge, PledgeEvent, Source


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

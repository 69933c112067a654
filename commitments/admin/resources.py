"""Spreadsheet import and export of pledges (django-import-export).

Import only ever creates pledges: staff migrating from a spreadsheet must not
overwrite work done in the tracker. Every row goes through ``full_clean()``, so
the model's rules hold, and through duplicate checks against the database and
the rest of the file. Status and the workflow fields are exported but never
imported: a verdict is recorded through ``commitments.domain.workflow`` only.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from import_export import fields, resources, widgets

from commitments.domain import reminders
from commitments.domain.spreadsheets import inert_cell
from commitments.models import Company, Pledge


class CompanyByNameWidget(widgets.ForeignKeyWidget):
    """A company by its name, any case; with ``create_missing``, one that does not exist yet
    is created (the preview, a rolled-back dry run, lists the names it would create)."""

    def __init__(self):
        super().__init__(Company, field="name")
        self.create_missing = False
        self.created = []

    def clean(self, value, row=None, **kwargs):
        name = " ".join((value or "").split())
        if not name:
            raise ValueError("Give the company's name.")
        try:
            return self.model.objects.get(name__iexact=name)
        except Company.DoesNotExist:
            if not self.create_missing:
                raise ValueError(
                    f"No company named “{name}”. Fix the spelling, add the company first, or "
                    "tick “Create companies that do not exist yet”."
                ) from None
        company = Company(name=name, slug=_free_company_slug(name))
        company.full_clean()
        company._change_reason = "Created by a spreadsheet import"
        company.save()
        self.created.append(name)
        return company


def _free_company_slug(name):
    base = slugify(name)[:200] or "company"
    slug, n = base, 2
    while Company.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


class IsoDateWidget(widgets.DateWidget):
    def __init__(self):
        super().__init__(format="%Y-%m-%d")

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except ValueError:
            raise ValueError(f"“{value}” is not a date: write it as YYYY-MM-DD.") from None


IMPORT_FIELDS = [
    "company",
    "title",
    "summary",
    "success_criteria",
    "category",
    "announced_on",
    "deadline",
    "is_published",
    "amount_pledged",
    "currency",
    "delivered_may_exceed_pledged",
]


# The example row of the downloadable template (the import page lists the columns too).
IMPORT_EXAMPLE = {
    "company": "Amazon",
    "title": "One-year moratorium on police use of Rekognition",
    "summary": "What was said, where, in Markdown.",
    "success_criteria": "No police force uses Rekognition for a year.",
    "category": "moratorium",
    "announced_on": "2020-06-10",
    "deadline": "2021-06-10",
    "is_published": "0",
    "currency": "",
    "delivered_may_exceed_pledged": "0",
}


class PledgeImportResource(resources.ModelResource):
    company = fields.Field(attribute="company", column_name="company", widget=CompanyByNameWidget())
    announced_on = fields.Field(
        attribute="announced_on", column_name="announced_on", widget=IsoDateWidget()
    )
    deadline = fields.Field(attribute="deadline", column_name="deadline", widget=IsoDateWidget())

    class Meta:
        model = Pledge
        fields = IMPORT_FIELDS
        import_order = IMPORT_FIELDS
        # Every row is a new pledge; ids and slugs are the tracker's to assign.
        force_init_instance = True
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = False

    def __init__(self, create_missing_companies=False, **kwargs):
        super().__init__(**kwargs)
        self.fields["company"].widget.create_missing = create_missing_companies

    def before_import(self, dataset, **kwargs):
        self._seen = {}
        self._user = kwargs.get("user")

    def after_import(self, dataset, result, **kwargs):
        # For the preview: which companies committing would create, and the staff reminders
        # it would cause (the import runs, then is rolled back, so the rows are there now).
        result.companies_created = list(dict.fromkeys(self.fields["company"].widget.created))
        ids = [row.object_id for row in result.rows if row.object_id is not None]
        pledges = Pledge.objects.filter(pk__in=ids).select_related("owner")
        result.reminders = reminders.forecast(pledges)

    def before_import_row(self, row, **kwargs):
        self._row_number = kwargs.get("row_number")

    def import_instance(self, instance, row, **kwargs):
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            # The slug is made from company and title; full_clean needs one to exist.
            if instance.company_id and instance.title and not instance.slug:
                instance.slug = instance._unique_slug()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.company_id and instance.title and "title" not in errors:
            key = (instance.company_id, instance.title.strip().casefold())
            if key in self._seen:
                errors["title"] = (
                    f"Duplicate: the same company and title appear in row {self._seen[key]}."
                )
            elif Pledge.objects.filter(
                company_id=instance.company_id, title__iexact=instance.title.strip()
            ).exists():
                errors["title"] = (
                    f"Duplicate: {instance.company.name} already has a pledge titled "
                    f"“{instance.title.strip()}”."
                )
            else:
                self._seen[key] = self._row_number
        # Same as the parent, except that a missing slug (made on save) is not an error.
        exclude = set(errors) | (set() if instance.slug else {"slug"})
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        if self._user is not None and self._user.is_authenticated:
            instance.created_by = self._user
        instance._change_reason = "Imported from a spreadsheet"
        instance.use_company_slug()


class PledgeExportResource(PledgeImportResource):
    """The same columns plus what the tracker owns, so an export reads back in as new rows."""

    status = fields.Field(attribute="status", column_name="status")
    # The sum of the payments a source confirms: exported, never imported (payments are
    # recorded one by one, each with its source).
    amount_delivered = fields.Field(
        attribute="amount_delivered", column_name="amount_delivered", readonly=True
    )
    owner = fields.Field(
        attribute="owner",
        column_name="owner",
        widget=widgets.ForeignKeyWidget(get_user_model(), field="username"),
    )

    class Meta:
        model = Pledge
        fields = ["id", "slug", *IMPORT_FIELDS, "amount_delivered", "status", "owner"]
        export_order = [
            "id",
            "company",
            "title",
            "slug",
            *IMPORT_FIELDS[2:],
            "amount_delivered",
            "status",
            "owner",
        ]

    def export_field(self, field, instance, **kwargs):
        # Staff open these files in a spreadsheet: no cell may run as a formula.
        return inert_cell(super().export_field(field, instance, **kwargs))

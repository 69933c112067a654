"""Money followed: payments (disbursements) replace the single "delivered" figure.

Each pledge's old ``amount_delivered`` becomes one payment of that amount, with no
recipient or date (the old figure had neither). It counts as confirmed, cited to the
pledge's newest source, because the field was "amount confirmed delivered" and staff
set it on the pledge's evidence; a pledge with no source keeps it as an announced,
unconfirmed amount. No event is written for these: they have no date, and moving a
figure is not news. Backwards, each pledge's confirmed payments are summed into the
field again and the "payment confirmed" events become notes that keep their words.

Existing subscriptions hear about payments if they hear about verdicts (the nearest
kind of news they chose); new ones choose for themselves. Editors and Reviewers may
record payments (not delete them, as with sources). The content-version triggers
watch the new table and the new event column.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import commitments.domain.validators

PERMISSIONS = [
    "add_disbursement",
    "change_disbursement",
    "view_disbursement",
    "view_historicaldisbursement",
]


def watch_new_columns(apps, schema_editor):
    from commitments.models import content

    content.install_triggers(schema_editor)


def move_delivered_figures(apps, schema_editor):
    Pledge = apps.get_model("commitments", "Pledge")
    Disbursement = apps.get_model("commitments", "Disbursement")
    for pledge in Pledge.objects.filter(amount_delivered__gt=0).order_by("pk"):
        newest = pledge.sources.order_by(
            models.F("published_on").desc(nulls_last=True), "-pk"
        ).first()
        Disbursement.objects.create(
            pledge=pledge,
            amount=pledge.amount_delivered,
            currency=(pledge.currency or "").upper(),
            source=newest,
        )


def restore_delivered_figures(apps, schema_editor):
    Pledge = apps.get_model("commitments", "Pledge")
    Disbursement = apps.get_model("commitments", "Disbursement")
    PledgeEvent = apps.get_model("commitments", "PledgeEvent")
    totals = (
        Disbursement.objects.filter(source__isnull=False, amount__isnull=False)
        .values("pledge")
        .annotate(total=models.Sum("amount"))
        .order_by()
    )
    for row in totals:
        Pledge.objects.filter(pk=row["pledge"]).update(amount_delivered=row["total"])
    for event in PledgeEvent.objects.filter(kind="disbursement").select_related("disbursement"):
        payment = event.disbursement
        said = f"Payment confirmed: {payment.currency} {payment.amount} to {payment.recipient}."
        event.kind, event.rationale = "note", f"{said} {event.rationale}".strip()
        event.disbursement = None
        event.save(update_fields=["kind", "rationale", "disbursement"])


def hear_money_like_verdicts(apps, schema_editor):
    Subscription = apps.get_model("commitments", "Subscription")
    Subscription.objects.update(on_money=models.F("on_verdict"))


def grant(apps, schema_editor):
    app_config = apps.get_app_config("commitments")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="commitments", codename__in=PERMISSIONS
    )
    for group in Group.objects.filter(name__in=["Editors", "Reviewers"]):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="commitments", codename__in=PERMISSIONS
    )
    for group in Group.objects.filter(name__in=["Editors", "Reviewers"]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0014_right_of_reply"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, watch_new_columns),
        migrations.AlterField(
            model_name="pledgeevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("announced", "Announced"),
                    ("deadline_changed", "Deadline moved"),
                    ("status_changed", "Verdict recorded"),
                    ("deadline_passed", "Deadline passed"),
                    ("note", "Note"),
                    ("disbursement", "Payment confirmed"),
                    ("company_reply", "Company replied"),
                ],
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="Disbursement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "recipient",
                    models.CharField(
                        blank=True,
                        help_text="The organisation paid, as the source names it.",
                        max_length=200,
                        validators=[commitments.domain.validators.validate_plain_text],
                    ),
                ),
                (
                    "amount",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="Empty when no source gives the amount.",
                        max_digits=16,
                        null=True,
                    ),
                ),
                (
                    "currency",
                    models.CharField(
                        help_text="ISO 4217 code; the pledge's currency.", max_length=3
                    ),
                ),
                (
                    "paid_on",
                    models.DateField(
                        blank=True,
                        help_text="The day the money was paid or reported paid.",
                        null=True,
                        verbose_name="date",
                    ),
                ),
                ("recorded_at", models.DateTimeField(auto_now_add=True)),
                (
                    "pledge",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="disbursements",
                        to="commitments.pledge",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "source",
                    models.ForeignKey(
                        blank=True,
                        help_text="The source that confirms the payment. Without one, the payment is announced, not confirmed, and does not count as delivered.",
                        null=True,
                        on_delete=django.db.models.deletion.RESTRICT,
                        related_name="disbursements",
                        to="commitments.source",
                    ),
                ),
            ],
            options={
                "ordering": ["recipient", "pk"],
            },
        ),
        migrations.AddField(
            model_name="pledgeevent",
            name="disbursement",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="events",
                to="commitments.disbursement",
            ),
        ),
        migrations.CreateModel(
            name="HistoricalDisbursement",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "recipient",
                    models.CharField(
                        blank=True,
                        help_text="The organisation paid, as the source names it.",
                        max_length=200,
                        validators=[commitments.domain.validators.validate_plain_text],
                    ),
                ),
                (
                    "amount",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="Empty when no source gives the amount.",
                        max_digits=16,
                        null=True,
                    ),
                ),
                (
                    "currency",
                    models.CharField(
                        help_text="ISO 4217 code; the pledge's currency.", max_length=3
                    ),
                ),
                (
                    "paid_on",
                    models.DateField(
                        blank=True,
                        help_text="The day the money was paid or reported paid.",
                        null=True,
                        verbose_name="date",
                    ),
                ),
                ("recorded_at", models.DateTimeField(blank=True, editable=False)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "pledge",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="commitments.pledge",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "source",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        help_text="The source that confirms the payment. Without one, the payment is announced, not confirmed, and does not count as delivered.",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="commitments.source",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical disbursement",
                "verbose_name_plural": "historical disbursements",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddConstraint(
            model_name="disbursement",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__isnull", True), ("amount__gt", 0), _connector="OR"),
                name="disbursement_positive",
            ),
        ),
        migrations.AddConstraint(
            model_name="disbursement",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("source__isnull", True), ("amount__isnull", False), _connector="OR"
                ),
                name="disbursement_confirmed_has_amount",
            ),
        ),
        migrations.RunPython(move_delivered_figures, restore_delivered_figures),
        migrations.RemoveField(
            model_name="historicalpledge",
            name="amount_delivered",
        ),
        migrations.RemoveField(
            model_name="pledge",
            name="amount_delivered",
        ),
        migrations.AddField(
            model_name="subscription",
            name="on_money",
            field=models.BooleanField(default=True, verbose_name="payment confirmed"),
        ),
        migrations.RunPython(hear_money_like_verdicts, migrations.RunPython.noop),
        migrations.RunPython(grant, revoke),
        migrations.RunPython(watch_new_columns, migrations.RunPython.noop),
    ]

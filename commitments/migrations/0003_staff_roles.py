"""Create the two staff roles with exactly the permissions their work needs.

Editors log and edit companies, pledges and sources, and may move a deadline.
Reviewers may do all that and also record verdicts. Nobody but a superuser may
delete a company, pledge or source: deletion erases public record (and a
source's link from the verdicts that cite it), so it stays a deliberate,
superuser-only act. Both roles may view staff users, which the "owner"
autocomplete needs, and may read events and the audit history.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMISSIONS = [
    ("commitments", "add_company"),
    ("commitments", "change_company"),
    ("commitments", "view_company"),
    ("commitments", "add_pledge"),
    ("commitments", "change_pledge"),
    ("commitments", "view_pledge"),
    ("commitments", "move_deadline"),
    ("commitments", "add_source"),
    ("commitments", "change_source"),
    ("commitments", "view_source"),
    ("commitments", "view_pledgeevent"),
    ("commitments", "view_historicalcompany"),
    ("commitments", "view_historicalpledge"),
    ("commitments", "view_historicalsource"),
    ("auth", "view_user"),
]
REVIEWER_PERMISSIONS = [*EDITOR_PERMISSIONS, ("commitments", "record_verdict")]
ROLES = {"Editors": EDITOR_PERMISSIONS, "Reviewers": REVIEWER_PERMISSIONS}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in wanted
        ]
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("commitments", "0002_pledge_queue"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]

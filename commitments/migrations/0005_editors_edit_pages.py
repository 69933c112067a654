"""Editors and Reviewers may edit the staff-written pages (methodology), but not delete them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PAGE_PERMISSIONS = ["add_page", "change_page", "view_page"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("commitments")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="commitments", codename__in=PAGE_PERMISSIONS
    )
    for group in Group.objects.filter(name__in=["Editors", "Reviewers"]):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="commitments", codename__in=PAGE_PERMISSIONS
    )
    for group in Group.objects.filter(name__in=["Editors", "Reviewers"]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("commitments", "0004_pages")]

    operations = [migrations.RunPython(grant, revoke)]

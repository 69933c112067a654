import django.contrib.postgres.search
from django.db import migrations

from commitments.models import content, search


def install_search(apps, schema_editor):
    search.install(schema_editor)


def uninstall_search(apps, schema_editor):
    search.uninstall(schema_editor)


def watch_columns(apps, schema_editor):
    # The pledge table's columns changed: the content-version triggers list them.
    content.install_triggers(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('commitments', '0016_source_archive_job'),
    ]

    operations = [
        # Backwards, this runs last: dropping the column dropped the UPDATE OF trigger.
        migrations.RunPython(migrations.RunPython.noop, watch_columns),
        migrations.AddField(
            model_name='pledge',
            name='search_document',
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        # PostgreSQL only (SQLite has no tsvector, no pg_trgm): see commitments/models/search.py.
        migrations.RunPython(install_search, uninstall_search),
        migrations.RunPython(watch_columns, migrations.RunPython.noop),
    ]

from django.db import migrations

from commitments.models import search

# Misspellings are now corrected from the vocabulary: the trigram indexes on every title and
# company name were read by that correction alone. PostgreSQL only, as in 0017.
OLD_INDEXES = {
    "pledge_title_trgm": "commitments_pledge USING gin (title gin_trgm_ops)",
    "company_name_trgm": "commitments_company USING gin (name gin_trgm_ops)",
}


def install_vocabulary(apps, schema_editor):
    search.install_vocabulary(schema_editor)
    if schema_editor.connection.vendor == "postgresql":
        for name in OLD_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def uninstall_vocabulary(apps, schema_editor):
    search.uninstall_vocabulary(schema_editor)
    if schema_editor.connection.vendor == "postgresql":
        for name, target in OLD_INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


class Migration(migrations.Migration):

    dependencies = [
        ("commitments", "0023_payment_withdrawn"),
    ]

    operations = [
        migrations.RunPython(install_vocabulary, uninstall_vocabulary),
    ]

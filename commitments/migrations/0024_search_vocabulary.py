from django.db import migrations

from commitments.models import search

# Misspellings are now corrected from the vocabulary: the trigram indexes on every title and
# company name were read by that correction alone. PostgreSQL only, as in 0017.
OLD_INDEXES = {
    "pledge_title_trgm": "commitments_pledge USING gin (title gin_trgm_ops)",
    "company_name_trgm": "commitments_company USING gin (name gin_trgm_ops)",
}


def install_vocabulary(apps, schema_editor):
    drop_old = [f"DROP INDEX IF EXISTS {name}" for name in OLD_INDEXES]
    search.execute_on_postgresql(schema_editor, [*search.VOCABULARY_INSTALL_SQL, *drop_old])


def uninstall_vocabulary(apps, schema_editor):
    restore_old = [f"CREATE INDEX IF NOT EXISTS {name} ON {on}" for name, on in OLD_INDEXES.items()]
    search.execute_on_postgresql(schema_editor, [*search.VOCABULARY_UNINSTALL_SQL, *restore_old])


class Migration(migrations.Migration):

    dependencies = [
        ("commitments", "0023_payment_withdrawn"),
    ]

    operations = [
        migrations.RunPython(install_vocabulary, uninstall_vocabulary),
    ]

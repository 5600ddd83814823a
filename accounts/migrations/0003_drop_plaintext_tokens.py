"""People's tokens were DRF's authtoken: stored in plaintext, one per person, never ending.
They are replaced by django-rest-knox's hashed, expiring tokens (accounts.authentication),
and the old ones cannot be carried over (only a hash of a token may be kept, and knox's
digest needs the token's own format): the old table is dropped with every token in it,
so each person signs in once again after the upgrade (docs/operations.md, Upgrading).
"""

from django.db import migrations

OLD_APP = "authtoken"


def drop_plaintext_tokens(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS authtoken_token")
    # The app's migrations and content types go with its table, so that nothing refers
    # to it (its permissions go with the content type).
    schema_editor.execute("DELETE FROM django_migrations WHERE app = %s", [OLD_APP])
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.using(schema_editor.connection.alias).filter(
        app_label=OLD_APP
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_invitation"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(drop_plaintext_tokens, migrations.RunPython.noop)]

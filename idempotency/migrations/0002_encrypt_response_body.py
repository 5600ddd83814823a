"""Keep stored answers encrypted: they may carry a registration's phone and names.

Idempotency keys live for a day; the few stored in clear are dropped rather than
converted (a retry after the upgrade is then treated as a first request).
"""

import privacy.fields
from django.db import migrations


def drop_keys(apps, schema_editor):
    apps.get_model("idempotency", "IdempotencyKey").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("idempotency", "0001_initial")]

    operations = [
        migrations.RunPython(drop_keys, migrations.RunPython.noop),
        migrations.RemoveField(model_name="idempotencykey", name="response_body"),
        migrations.AddField(
            model_name="idempotencykey",
            name="response_body",
            field=privacy.fields.EncryptedTextField(
                default="", verbose_name="response body (JSON, encrypted)"
            ),
            preserve_default=False,
        ),
    ]

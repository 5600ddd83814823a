"""The audit trail's object ids keep one index, without the `LIKE` one of db_index=True."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('privacy', '0002_audit_append_only'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['object_id'], name='audit_object_id'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='object_id',
            field=models.CharField(max_length=64, verbose_name='object id'),
        ),
    ]

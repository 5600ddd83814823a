from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from privacy.services import personal_data_rekey


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted personal value with the first key of "
        "FIELD_ENCRYPTION_KEY. Rotate a key by putting the new key first "
        '("new,old"), running this, then dropping the old key.'
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more.")
        try:
            rewritten = personal_data_rekey(batch_size=batch_size)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {rewritten} values."))

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meals", "0004_merge_point_duplicates"),
        ("shelters", "0005_host_offer_opens_on_first_day"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="mealservice",
            constraint=models.UniqueConstraint(
                condition=models.Q(("shelter__isnull", True)),
                fields=("city", "location", "meal", "starts_at"),
                name="meal_service_unique_point_slot",
            ),
        ),
    ]

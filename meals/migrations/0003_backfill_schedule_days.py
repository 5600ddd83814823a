"""Record the day each existing scheduled service was made for, so the daily run does
not remake a service of those days that is later moved or deleted."""

import zoneinfo

from django.db import migrations


def backfill_schedule_days(apps, schema_editor):
    """Each scheduled service without a day gets the day it starts on (city time zone);
    of two services of one entry on one day (one was moved), the older one has it."""
    MealService = apps.get_model("meals", "MealService")
    MealScheduleDay = apps.get_model("meals", "MealScheduleDay")
    taken = set(
        MealService.objects.filter(schedule__isnull=False, schedule_day__isnull=False)
        .values_list("schedule_id", "schedule_day")
        .order_by()
    )
    services = []
    for service in (
        MealService.objects.filter(schedule__isnull=False, schedule_day__isnull=True)
        .select_related("city")
        .order_by("created_at", "id")
        .iterator(chunk_size=2000)
    ):
        day = service.starts_at.astimezone(zoneinfo.ZoneInfo(service.city.timezone)).date()
        if (service.schedule_id, day) in taken:
            continue
        taken.add((service.schedule_id, day))
        service.schedule_day = day
        services.append(service)
    MealService.objects.bulk_update(services, ["schedule_day"], batch_size=500)
    MealScheduleDay.objects.bulk_create(
        [MealScheduleDay(schedule_id=schedule_id, day=day) for schedule_id, day in taken],
        ignore_conflicts=True,
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [("meals", "0002_meal_schedule_days")]

    operations = [migrations.RunPython(backfill_schedule_days, migrations.RunPython.noop)]

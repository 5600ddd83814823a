"""Merge the services a point was given twice (the same meal at the same point and
minute, possible before `meal_service_unique_point_slot`), so the constraint can hold.

Of each group the oldest service stays: it gets the others' servings (portions given are
kept) and, if it has no plan, the largest of theirs; the others are deleted, so the plan
is no longer counted twice."""

from django.db import migrations
from django.db.models import Count


def merge_point_duplicates(apps, schema_editor):
    MealService = apps.get_model("meals", "MealService")
    Serving = apps.get_model("meals", "Serving")
    slots = (
        MealService.objects.filter(shelter__isnull=True)
        .values("city_id", "location", "meal", "starts_at")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by()
    )
    for slot in slots:
        kept, *others = MealService.objects.filter(
            shelter__isnull=True,
            city_id=slot["city_id"],
            location=slot["location"],
            meal=slot["meal"],
            starts_at=slot["starts_at"],
        ).order_by("created_at", "id")
        plans = [s.planned_portions for s in others if s.planned_portions is not None]
        if kept.planned_portions is None and plans:
            kept.planned_portions = max(plans)
            kept.save(update_fields=["planned_portions"])
        Serving.objects.filter(service__in=others).update(service=kept)
        MealService.objects.filter(id__in=[s.id for s in others]).delete()


class Migration(migrations.Migration):
    dependencies = [("meals", "0003_backfill_schedule_days")]

    operations = [migrations.RunPython(merge_point_duplicates, migrations.RunPython.noop)]

"""The back office for cities, shelters and spaces, scoped like the API.

A coordinator sees and edits the shelters and spaces of their cities, a shelter
manager those of their shelters, a superuser everything (`accounts.admin.
ScopedModelAdmin`). Writes go through `shelters.services` as the API's do, so a
space's beds change under its row lock, with the version check and the
`capacity_below_occupancy` rule; a refusal is shown on the page, never as an error.
The counters (`beds_occupied`, `beds_held`) and `version` are read-only here.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import ProtectedError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import ScopedModelAdmin
from config.exceptions import Conflict, PreconditionFailed

from . import selectors, services
from .models import (
    CITY_EDITABLE_FIELDS,
    SHELTER_EDITABLE_FIELDS,
    SPACE_EDITABLE_FIELDS,
    City,
    Shelter,
    Space,
)


def _adopt(target, source) -> None:
    """Make the admin's object the row a service saved; the admin goes on with `target`."""
    for field in type(source)._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


class VersionedForm(forms.ModelForm):
    """Carries the version the page was loaded with, so a save over a newer change is refused."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.changing:
            self.initial.setdefault("expected_version", self.instance.version)

    @property
    def changing(self) -> bool:
        # Not `pk is None`: a UUID primary key is set before the first save.
        return not self.instance._state.adding

    def current(self):
        """The row as it is in the database now, or a form error if it went away."""
        current = type(self.instance).objects.filter(pk=self.instance.pk).first()
        if current is None:
            raise ValidationError(_("This object was deleted by someone else."))
        return current


class ShelterForm(VersionedForm):
    class Meta:
        model = Shelter
        fields = ["city", *SHELTER_EDITABLE_FIELDS]

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # ModelForm.clean gives the cleaned data
        if self.changing:
            try:
                services.shelter_update_check(
                    shelter=self.current(), expected_version=cleaned.get("expected_version")
                )
            except PreconditionFailed as error:
                raise ValidationError(error.detail) from error
        return cleaned


class SpaceForm(VersionedForm):
    class Meta:
        model = Space
        fields = ["shelter", *SPACE_EDITABLE_FIELDS]

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # ModelForm.clean gives the cleaned data
        if self.changing:
            data = {"beds": cleaned["beds"]} if "beds" in cleaned else {}
            try:
                services.space_update_check(
                    space=self.current(),
                    data=data,
                    expected_version=cleaned.get("expected_version"),
                )
            except PreconditionFailed as error:
                raise ValidationError(error.detail) from error
            except Conflict as error:
                self.add_error("beds", error.detail)
        return cleaned


def _refusal_text(
    error: Conflict | PreconditionFailed | ValidationError | ObjectDoesNotExist | ProtectedError,
) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, ObjectDoesNotExist):
        return gettext("This object was deleted by someone else.")
    if isinstance(error, ProtectedError):  # a shelter's meals, say: as the API answers it
        return gettext("Other records refer to this; it cannot be deleted.")
    return str(error.detail)


class ServiceWritesAdmin(ScopedModelAdmin):
    """Saves and deletes through services. A refusal that only shows under the row lock
    (someone changed the object after the form was checked) comes back as a message
    on the same page; the admin's transaction has been rolled back by then."""

    refusals = (Conflict, PreconditionFailed, ValidationError, ObjectDoesNotExist, ProtectedError)
    immutable_fields: tuple[str, ...] = ()  # set when adding, then shown but not editable

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except self.refusals as error:
            self.message_user(request, _refusal_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except self.refusals as error:
            self.message_user(request, _refusal_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_deleted_objects(self, objs, request):
        """What a deletion takes with it, and whether it may, is the service's to say: a
        shelter's unused spaces go with it, and what people were placed in is refused with
        what to do instead (a message, `delete_view`). Django's own check would refuse a
        shelter for having spaces, and a used space as if someone else had the right."""
        deleted, counts, _permissions, _protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), []

    def get_actions(self, request):
        # Bulk deletion would bypass the services (and their checks): delete one by one.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    service_fields: tuple[str, ...] = ()  # what the services take
    parent_field = ""  # where a new object belongs, passed to `create`

    def create(self, **fields):
        raise NotImplementedError

    def update(self, obj, data, expected_version):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        cleaned = form.cleaned_data
        if change:
            data = {
                name: cleaned[name] for name in form.changed_data if name in self.service_fields
            }
            if data:
                _adopt(obj, self.update(obj, data, cleaned.get("expected_version")))
        else:
            fields = {name: cleaned[name] for name in self.service_fields if name in cleaned}
            _adopt(obj, self.create(**{self.parent_field: cleaned[self.parent_field]}, **fields))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            # Where an object belongs is chosen once (as in the API).
            for name in self.immutable_fields:
                form.base_fields[name].disabled = True
        return form


@admin.register(City)
class CityAdmin(ScopedModelAdmin):
    """Cities are made and changed by a superuser; staff see the cities they work in."""

    fields = CITY_EDITABLE_FIELDS
    list_display = ["name", "timezone"]
    search_fields = ["name"]
    ordering = ["name"]

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            _adopt(obj, services.city_update(city_id=obj.pk, data=data))
        else:
            _adopt(obj, services.city_create(name=obj.name, timezone=obj.timezone))


@admin.register(Shelter)
class ShelterAdmin(ServiceWritesAdmin):
    form = ShelterForm
    immutable_fields = ("city",)
    list_display = [
        "name",
        "city",
        "kind",
        "status",
        "total_beds",
        "free_beds",
        "wheelchair_accessible",
        "pets_allowed",
    ]
    list_filter = [
        ("city", admin.RelatedOnlyFieldListFilter),
        "kind",
        "status",
        "wheelchair_accessible",
        "pets_allowed",
    ]
    list_select_related = ["city"]
    search_fields = ["name", "address"]
    ordering = ["city__name", "name"]

    def get_queryset(self, request):
        return selectors.shelters_with_beds(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        return ["version", "beds_summary", "space_links"] if obj is not None else []

    @admin.display(description=_("beds"), ordering="beds_total")
    def total_beds(self, shelter):
        return shelter.beds_total

    @admin.display(description=_("free beds"), ordering="beds_free")
    def free_beds(self, shelter):
        return shelter.beds_free

    @admin.display(description=_("beds"))
    def beds_summary(self, shelter):
        return gettext("%(total)s beds: %(occupied)s occupied, %(held)s held, %(free)s free") % {
            "total": shelter.beds_total,
            "occupied": shelter.beds_occupied,
            "held": shelter.beds_held,
            "free": shelter.beds_free,
        }

    @admin.display(description=_("spaces"))
    def space_links(self, shelter):
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a>: {}</li>',
            (
                (
                    reverse("admin:shelters_space_change", args=[space.pk]),
                    space.name,
                    gettext("%(beds)s beds, %(free)s free")
                    % {"beds": space.beds, "free": space.beds_free},
                )
                for space in shelter.spaces.order_by("name")
            ),
        )
        add_url = f"{reverse('admin:shelters_space_add')}?shelter={shelter.pk}"
        return format_html('<ul>{}</ul><a href="{}">{}</a>', rows, add_url, gettext("Add a space"))

    service_fields = SHELTER_EDITABLE_FIELDS
    parent_field = "city"

    def create(self, **fields):
        return services.shelter_create(**fields)

    def update(self, obj, data, expected_version):
        return services.shelter_update(
            shelter_id=obj.pk, data=data, expected_version=expected_version
        )

    def delete_model(self, request, obj):
        services.shelter_delete(shelter_id=obj.pk)


@admin.register(Space)
class SpaceAdmin(ServiceWritesAdmin):
    form = SpaceForm
    immutable_fields = ("shelter",)
    list_display = [
        "name",
        "shelter",
        "beds",
        "beds_occupied",
        "beds_held",
        "free_beds",
        "admits",
        "wheelchair_accessible",
        "version",
    ]
    list_filter = [("shelter", admin.RelatedOnlyFieldListFilter), "admits", "wheelchair_accessible"]
    list_select_related = ["shelter"]
    search_fields = ["name", "shelter__name"]
    ordering = ["shelter__name", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["beds_occupied", "beds_held", "free_beds", "version"] if obj is not None else []

    @admin.display(description=_("free beds"))
    def free_beds(self, space):
        return space.beds_free

    service_fields = SPACE_EDITABLE_FIELDS
    parent_field = "shelter"

    def create(self, **fields):
        return services.space_create(**fields)

    def update(self, obj, data, expected_version):
        return services.space_update(space_id=obj.pk, data=data, expected_version=expected_version)

    def delete_model(self, request, obj):
        services.space_delete(space_id=obj.pk)

"""A related field whose choices are what the caller may reach (`Access.scope`)."""

from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .access import access_for


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key of a related row the caller may reach; another answers as unknown.

    The model is the relation's (the serializer's model and the field's source), the
    rows are `access.scope(...)` of the request's access, for `action` when given (a
    row where that action is allowed). `many=True` works as for any related field.
    """

    default_error_messages = {
        # Never "does not exist" alone: it may exist, out of the caller's reach.
        "does_not_exist": _(
            "No such id among what you may use here: it does not exist, or it is not of "
            "your cities or shelters."
        ),
    }

    def __init__(self, action: str | None = None, **kwargs):
        self.action = action
        super().__init__(**kwargs)

    def get_queryset(self):
        field = self.parent if isinstance(self.parent, serializers.ManyRelatedField) else self
        # Bound to a model serializer, under the name of a relation of its model.
        assert isinstance(field.parent, serializers.ModelSerializer)
        assert isinstance(field.source, str)
        serializer_model: type[Model] = field.parent.Meta.model
        model = serializer_model._meta.get_field(field.source).related_model
        assert model is not None
        access = access_for(self.context["request"])
        return access.scope(model._default_manager.all(), self.action)

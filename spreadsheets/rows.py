"""What each kind of import reads: its columns, and how its cells' text becomes the
values its row serializers (`spreadsheets.serializers.ROW_SHAPES`) check. The rules of
what a row does live in `spreadsheets.services`."""

from arrivals.languages import language_code
from arrivals.models import AgeGroup, Diet, Need, Sex
from shelters.models import Admits, ShelterKind, ShelterStatus

from .models import ImportKind
from .readers import Column

# Yes and no as people type them in the three languages of the pages.
YES = {"yes", "y", "true", "1", "да", "д", "иә", "ия", "+"}
NO = {"no", "n", "false", "0", "нет", "н", "жоқ", "-"}
LIST_SEPARATORS = (",", ";", "/")

SHELTER_COLUMNS = (
    Column("shelter", required=True),
    Column("kind"),
    Column("address"),
    Column("latitude"),
    Column("longitude"),
    Column("status"),
    Column("wheelchair_accessible"),
    Column("pets_allowed"),
    Column("contact_phone"),
    Column("notes", multiline=True),
    Column("space"),
    Column("beds"),
    Column("admits"),
    Column("space_wheelchair_accessible"),
)
# A shelter's own columns (the first of its rows gives them); the others are its space's.
SHELTER_FIELDS = (
    "kind",
    "address",
    "latitude",
    "longitude",
    "status",
    "wheelchair_accessible",
    "pets_allowed",
    "contact_phone",
    "notes",
)
SPACE_COLUMNS = {"space": "name", "beds": "beds", "admits": "admits"}
SPACE_COLUMNS_WHEELCHAIR = "space_wheelchair_accessible"

# The columns a parties export adds after a register's (`spreadsheets.selectors.
# parties_export`): the party's size, when it was registered and where it is now.
PARTY_EXPORT_TAIL = ("size", "registered_at", "shelter", "space", "placement_status", "held_until")

PARTY_COLUMNS = (
    Column("party", required=True),
    Column("given_name", required=True),
    Column("family_name"),
    Column("sex"),
    Column("age_group"),
    Column("needs"),
    Column("diet"),
    Column("contact_phone"),
    Column("languages"),
    Column("pets"),
    Column("nights_needed"),
    Column("registration_point"),
    Column("notes", multiline=True),
    Column("consent", required=True),
    # The parties export's own, not imported: an exported file reads back.
    *(Column(name, skipped=True) for name in ("status", *PARTY_EXPORT_TAIL)),
)
PARTY_FIELDS = (
    "contact_phone",
    "languages",
    "pets",
    "nights_needed",
    "registration_point",
    "notes",
    "consent",
)
MEMBER_COLUMNS = ("given_name", "family_name", "sex", "age_group", "needs", "diet")
LIST_COLUMNS = ("needs", "diet", "languages")

HOST_OFFER_COLUMNS = (
    Column("address", required=True),
    Column("beds", required=True),
    Column("available_from", required=True),
    Column("available_until"),
    Column("host_name"),
    Column("contact_phone"),
    Column("wheelchair_accessible"),
    Column("pets_allowed"),
    Column("notes", multiline=True),
)

COLUMNS = {
    ImportKind.SHELTERS: SHELTER_COLUMNS,
    ImportKind.PARTIES: PARTY_COLUMNS,
    ImportKind.HOST_OFFERS: HOST_OFFER_COLUMNS,
}
# The row that names each group (a shelter, a party) in the file.
GROUP_COLUMN = {ImportKind.SHELTERS: "shelter", ImportKind.PARTIES: "party"}


def yes_no(value: str):
    """`True`/`False` for yes and no in English, Russian or Kazakh; else the text (which
    the boolean field then refuses)."""
    lowered = value.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    return value


def split_list(value: str) -> list[str]:
    for separator in LIST_SEPARATORS[1:]:
        value = value.replace(separator, LIST_SEPARATORS[0])
    return [item.strip().lower() for item in value.split(LIST_SEPARATORS[0]) if item.strip()]


def member_data(cells: dict[str, str]) -> dict:
    data: dict = {}
    for name in MEMBER_COLUMNS:
        value = cells.get(name, "")
        if not value:
            continue
        if name in ("needs", "diet"):
            data[name] = split_list(value)
        elif name in ("sex", "age_group"):
            data[name] = value.lower()
        else:
            data[name] = value
    return data


def party_data(cells: dict[str, str]) -> dict:
    data: dict = {}
    for name in PARTY_FIELDS:
        value = cells.get(name, "")
        if not value:
            continue
        if name == "languages":
            # Codes, or names as on the registration page ("русский", "Uzbek").
            data[name] = [language_code(typed) or typed for typed in split_list(value)]
        elif name == "consent":
            data[name] = yes_no(value)
        else:
            data[name] = value
    return data


def shelter_row_data(cells: dict[str, str]) -> dict:
    data: dict = {}
    for name, value in cells.items():
        if not value:
            continue
        if name in ("wheelchair_accessible", "pets_allowed", "space_wheelchair_accessible"):
            data[name] = yes_no(value)
        else:
            data[name] = value
    return data


def host_offer_row_data(cells: dict[str, str]) -> dict:
    data: dict = {}
    for name, value in cells.items():
        if not value:
            continue
        data[name] = yes_no(value) if name in ("wheelchair_accessible", "pets_allowed") else value
    return data


# The enums a register's cells may hold, for the page that explains the columns.
ENUMS = {
    "sex": Sex.values,
    "age_group": AgeGroup.values,
    "needs": Need.values,
    "diet": Diet.values,
    "kind": ShelterKind.values,
    "status": ShelterStatus.values,
    "admits": Admits.values,
}

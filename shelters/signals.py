"""Domain events of shelters, for the apps that build on them (arrivals listens).

`room_available` is sent after the commit of any change that may let a waiting party
in: beds freed (check-out, cancel, expiry) or added, a space created, a space that
admits more people or became wheelchair accessible, a shelter reopened or now taking
pets. shelters does not import arrivals (dependencies point one way), so this is how
matching learns that it has something to do.
"""

from django.dispatch import Signal

room_available = Signal()  # kwargs: city_id

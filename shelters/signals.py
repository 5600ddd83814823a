"""Domain events of shelters, for the apps that build on them (arrivals listens).

`beds_added` is sent after the commit of any change that may let a waiting party
in: a space gained beds, a space was created, a shelter reopened. shelters does
not import arrivals (dependencies point one way), so this is how matching learns
that it has something to do.
"""

from django.dispatch import Signal

beds_added = Signal()  # kwargs: city_id

"""Signing in with a username typed in any case.

A phone's keyboard capitalises the first letter of a field ("Volunteer1"), and an
integrator may write a name as the coordinator spelled it aloud. Usernames are unique
whatever their case (`accounts.services` checks it when someone joins), so the person is
found by the name as typed, or else by the one name that matches it regardless of case.
Failed attempts are counted under the name in lower case
(`accounts.login_limits.attempt_username`), so changing the case gains a guesser nothing.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UsernameAnyCaseBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        users = get_user_model()._default_manager
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = users.filter(username=username).first()
        if user is None:
            alike = list(users.filter(username__iexact=username)[:2])
            user = alike[0] if len(alike) == 1 else None
        if user is None:
            # As Django's backend: the time of a password check, so that no answer tells
            # whether the name exists.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

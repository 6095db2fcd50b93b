"""The request type of views that only a signed-in member of staff reaches."""

from __future__ import annotations

from django.http import HttpRequest

from aftersales.accounts.models import User


class AuthedRequest(HttpRequest):
    """A request whose user is signed in: the web pages behind `page()` or `login_required`
    and every API operation (token or session authentication; the API refuses the rest with
    401 before the operation runs). Its `user` is a `User`, never `AnonymousUser`. Only a type:
    Django builds the request; nothing here runs."""

    user: User

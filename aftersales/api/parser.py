"""What the API accepts as input, checked before any endpoint runs: a JSON body is an object;
no text (body, query string, form field) carries a control character or half a surrogate pair
(they break exports, PDFs and PostgreSQL); no JSON number lies beyond what the database stores.
Each refusal is a 422 `{code, message, details}` naming the field."""

from __future__ import annotations

import json
import math
from typing import Any, cast

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.parser import Parser
from ninja.types import DictStrAny

from aftersales.core.characters import bad_character
from aftersales.core.errors import ApplicationError

INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def _refuse(field: str, message: Any, code: str = "invalid") -> ApplicationError:
    return ApplicationError(
        code, _("Some fields are not valid."), status=422, details={"fields": {field: message}}
    )


def check_value(value: Any, path: str = "") -> None:
    """Walk a parsed JSON value; raise on the first bad string or out-of-range integer."""
    if isinstance(value, str):
        if bad_character(value):
            raise _refuse(path or "body", _("Control characters are not allowed."))
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            raise _refuse(path or "body", _("A number is out of range."), code="out_of_range")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _refuse(path or "body", _("Enter a number."))
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if bad_character(str(key)):
                raise _refuse(name, _("Control characters are not allowed."))
            check_value(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_value(item, f"{path}.{index}" if path else str(index))


class InputParser(Parser):
    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data = json.loads(request.body)
        # ninja also parses single multipart fields through here (a private request type
        # without a content type); only a real request's JSON body must be an object.
        if getattr(request, "content_type", None) is not None and not isinstance(data, dict):
            raise ApplicationError(
                "not_an_object", _("The request body must be a JSON object."), status=422
            )
        check_value(data)
        return cast(DictStrAny, data)

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> DictStrAny:
        for key, values in data.lists():
            for value in values:
                if isinstance(value, str) and (bad_character(value) or bad_character(key)):
                    raise _refuse(key, _("Control characters are not allowed."))
        return super().parse_querydict(data, list_fields, request)

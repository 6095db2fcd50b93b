from django.contrib import admin
from django.urls import include, path

from aftersales.api.main import api
from aftersales.core.health import healthz
from aftersales.web.accounts import language_switch

admin.site.site_header = "Aftersales admin"
# A database restarting or unreachable answers 503 with Retry-After instead of 500.
handler500 = "aftersales.core.unavailable.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    # the footer's switch, which also keeps a signed-in person's language (before Django's)
    path("i18n/setlang/", language_switch, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("aftersales.web.urls")),
]


def _superuser_only(request):
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superuser_only  # type: ignore[method-assign]

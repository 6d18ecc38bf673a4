from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from canpei.api.router import api
from canpei.health import healthz

urlpatterns = [
    path("api/v1/", api.urls),
    # Monitoring: the database and the worker's heartbeat, unauthenticated (canpei.health).
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links; answer with the icon, not a 404.
    path("favicon.ico", RedirectView.as_view(url=static("canpei/favicon.svg"), permanent=True),
         name="favicon"),
    path("", include("canpei.web.urls")),
]

# 503 with Retry-After while the database is unreachable (a restart), the 500 page otherwise.
handler500 = "canpei.web.views.errors.server_error"

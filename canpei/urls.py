from django.urls import include, path

from canpei.api.router import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("canpei.web.urls")),
]

from django.urls import path

from . import views

app_name = "cables"

urlpatterns = [
    path("", views.home, name="home"),
    path("cables/", views.cable_list, name="cable_list"),
    path("cables/<str:refid>/", views.cable_detail, name="cable_detail"),
    path("cables/<str:refid>/raw/", views.cable_raw, name="cable_raw"),
    path("embassies/", views.origin_list, name="origin_list"),
    path("tags/", views.tag_list, name="tag_list"),
]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CablesConfig(AppConfig):
    name = "cables"
    verbose_name = _("Cables")
    default_auto_field = "django.db.models.BigAutoField"

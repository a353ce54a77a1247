from django.apps import AppConfig
from django.db.models.signals import pre_delete
from django.utils.translation import gettext_lazy as _


class CablesConfig(AppConfig):
    name = "cables"
    verbose_name = _("Cables")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import search

        pre_delete.connect(search.unindex_deleted, sender=self.get_model("Cable"))

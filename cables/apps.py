from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_delete
from django.utils.translation import gettext_lazy as _


class CablesConfig(AppConfig):
    name = "cables"
    verbose_name = _("Cables")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import search
        from .models import archive_changed

        pre_delete.connect(search.unindex_deleted, sender=self.get_model("Cable"))
        # Not the related rows: a delete receiver makes Django delete them one by one, and the
        # writer replaces them in bulk (it moves the state itself); the admin saves them with
        # their cable, whose save moves it.
        for name in ("Cable", "Origin", "Tag"):
            post_save.connect(archive_changed, sender=self.get_model(name))
            post_delete.connect(archive_changed, sender=self.get_model(name))

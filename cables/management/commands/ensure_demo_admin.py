"""Create the demo superuser (demo / demo) for `make demo`; refused unless DEBUG is on."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = PASSWORD = "demo"


class Command(BaseCommand):
    help = "Create the superuser demo (password demo) if absent. Only with DJANGO_DEBUG on."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("refusing to create a demo/demo superuser while DJANGO_DEBUG is off")
        users = get_user_model().objects
        if users.filter(username=USERNAME).exists():
            self.stdout.write(f"User {USERNAME!r} already exists; left unchanged.")
            return
        users.create_superuser(USERNAME, email="", password=PASSWORD)
        self.stdout.write(
            self.style.SUCCESS(f"Created superuser {USERNAME!r} (password {PASSWORD!r}).")
        )

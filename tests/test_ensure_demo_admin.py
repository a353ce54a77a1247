from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_creates_the_demo_superuser_when_debug_is_on(settings):
    settings.DEBUG = True
    call_command("ensure_demo_admin", stdout=StringIO())
    user = get_user_model().objects.get(username="demo")
    assert user.is_superuser
    assert user.check_password("demo")


def test_leaves_an_existing_demo_user_alone(settings):
    settings.DEBUG = True
    get_user_model().objects.create_user("demo", password="chosen-by-the-operator")
    call_command("ensure_demo_admin", stdout=StringIO())
    assert get_user_model().objects.get(username="demo").check_password("chosen-by-the-operator")


def test_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG is off"):
        call_command("ensure_demo_admin", stdout=StringIO())
    assert not get_user_model().objects.exists()

from django import forms
from django.utils.translation import gettext_lazy as _

from .readers import FORMATS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ImportForm(forms.Form):
    files = MultipleFileField(
        label=_("Files"),
        help_text=_(
            "Raw cables, Scoop pages, cables.csv, WikiLeaks HTML pages, or .zip, .tar.gz and .gz "
            "archives of them. The type is read from the content, not the name."
        ),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("", _("Detect automatically"))] + [(name, name) for name in FORMATS],
        required=False,
        help_text=_("Force one format for every record, as import_cables --format does."),
    )
    dry_run = forms.BooleanField(
        label=_("Parse only"),
        required=False,
        help_text=_("Preview the first cables as they would be stored; nothing is written."),
    )

"""The archive's one FilterSet: every filter lives in the URL, bad input empties the result."""

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from . import search
from .models import Cable, CableTag, Origin, Recipient, Tag

SORTS = {
    "relevance": _("Relevance"),
    "newest": _("Newest first"),
    "oldest": _("Oldest first"),
}


class MultipleValueField(forms.Field):
    """A repeatable free-text parameter (?classification=SECRET&classification=CONFIDENTIAL)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        return [v.strip() for v in values if v and v.strip()]


class MultipleValueFilter(django_filters.Filter):
    field_class = MultipleValueField

    def filter(self, qs: QuerySet, value: list[str]) -> QuerySet:
        return qs.filter(**{f"{self.field_name}__in": value}) if value else qs


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class CableFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search the text"), method="filter_text", validators=[search.validate_query]
    )
    origin = django_filters.ModelMultipleChoiceFilter(
        label=_("Origin"),
        to_field_name="slug",
        queryset=Origin.objects.all(),
        method="filter_origins",
        widget=forms.MultipleHiddenInput,
    )
    tag = django_filters.ModelMultipleChoiceFilter(
        label=_("TAG"),
        to_field_name="code",
        queryset=Tag.objects.all(),
        method="filter_tags",
        widget=forms.MultipleHiddenInput,
    )
    tag_mode = django_filters.ChoiceFilter(
        label=_("Match TAGs"),
        choices=[("all", _("all of them")), ("any", _("any of them"))],
        empty_label=None,
        method="keep",
    )
    classification = MultipleValueFilter(label=_("Classification"))
    date = django_filters.DateFromToRangeFilter(
        label=_("Date"),
        field_name="created",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    year = YearFilter(
        label=_("Year"), field_name="created", lookup_expr="year", min_value=1900, max_value=2100
    )
    recipient = django_filters.CharFilter(label=_("Recipient"), method="filter_recipient")
    recipient_role = django_filters.ChoiceFilter(
        label=_("as"), choices=Recipient.Role.choices, empty_label=_("TO or INFO"), method="keep"
    )
    precedence = django_filters.MultipleChoiceFilter(
        label=_("Precedence"),
        choices=Cable.Precedence.choices,
        distinct=False,
        widget=forms.MultipleHiddenInput,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=list(SORTS.items()), empty_label=None, method="keep"
    )

    class Meta:
        model = Cable
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if not self.form.is_valid():
            return queryset.none()
        return super().filter_queryset(queryset)

    def keep(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search.matching(queryset, value)

    # Validated choices arrive as a list of instances, or as an empty queryset when absent.
    def filter_origins(self, queryset: QuerySet, name: str, origins: list[Origin]) -> QuerySet:
        return queryset.filter(origin__in=origins) if origins else queryset

    def filter_tags(self, queryset: QuerySet, name: str, tags: list[Tag]) -> QuerySet:
        if not tags:
            return queryset
        if self.form.cleaned_data.get("tag_mode") == "any":
            return queryset.filter(id__in=CableTag.objects.filter(tag__in=tags).values("cable_id"))
        for tag in tags:
            queryset = queryset.filter(id__in=CableTag.objects.filter(tag=tag).values("cable_id"))
        return queryset

    def filter_recipient(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Names are stored upper-case as the cables write them; exact match keeps the index.
        recipients = Recipient.objects.filter(name=" ".join(value.upper().split()))
        if role := self.form.cleaned_data.get("recipient_role"):
            recipients = recipients.filter(role=role)
        return queryset.filter(id__in=recipients.values("cable_id"))

    @property
    def text(self) -> str:
        return self.form.cleaned_data.get("q", "") if self.form.is_valid() else ""

    @property
    def sort_order(self) -> str:
        chosen = self.form.cleaned_data.get("sort") if self.form.is_valid() else ""
        if chosen == "relevance" and not self.text:
            chosen = ""
        return chosen or ("relevance" if self.text else "newest")

    def dated(self) -> QuerySet:
        """The filtered cables by date: oldest first when chosen, else newest first."""
        qs = self.qs.for_list()
        if self.sort_order == "oldest":
            return qs.order_by("created", "id")
        return qs.order_by("-created", "-id")

    def ranked(self) -> search.Ranking | None:
        """The ranked head of a relevance sort (see search.by_relevance), else None."""
        if self.sort_order != "relevance":
            return None
        return search.by_relevance(self.without_text().for_list(), self.text)

    def dated_ids(self, ordered: QuerySet, start: int, stop: int):
        """Rows start..stop of `ordered` (a date order of the filtered cables), as ids."""
        if self.text and self.form.is_valid():
            ids = search.dated_ids(self.without_text(), self.text, ordered, start, stop)
            if ids is not None:
                return ids
        return ordered.values("pk")[start:stop]

    def count(self) -> int:
        """How many cables the filters keep, the text query counted by the search backend."""
        if self.text and self.form.is_valid():
            return search.count_matching(self.without_text(), self.text)
        return self.qs.count()

    def without_text(self) -> QuerySet:
        """The cables that every filter but the text query keeps."""
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name != "q":
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def ordered(self) -> list[QuerySet | search.Ranking]:
        """Every filtered cable in the chosen order, in parts: the ranked head, the dated rest."""
        ranked = self.ranked()
        if ranked is None:
            return [self.dated()]
        head = search.ranked_count(None)
        return [ranked] if head is None else [ranked, self.dated()[head:]]

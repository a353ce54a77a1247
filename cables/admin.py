from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.text import Truncator

from . import admin_views, search
from .importing import RetryError, retry_rejected
from .models import (
    Cable,
    CableTag,
    CableVersion,
    ImportJob,
    Origin,
    Recipient,
    Reference,
    RejectedRecord,
    ReparseRun,
    Tag,
)
from .tasks import release_uploads
from .uploads import remove_stored

TAG_FILTER_SIZE = 40
RETRY_PERMISSION = "cables.add_cable"
REPLACE_PERMISSION = "cables.change_cable"


class YearFilter(admin.SimpleListFilter):
    title = "year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = Cable.objects.dates("created", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(created__year=int(value)) if value and value.isdigit() else queryset


class TagFilter(admin.SimpleListFilter):
    """The most used TAGs as links; any other code works through ?tag= in the URL."""

    title = "TAG"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        top = (
            Tag.objects.annotate(used=Count("cabletag"))
            .filter(used__gt=0)
            .order_by("-used", "code")
            .values_list("code", flat=True)[:TAG_FILTER_SIZE]
        )
        return [(code, code) for code in top]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(tags__code=value) if value else queryset


class RecipientInline(admin.TabularInline):
    model = Recipient
    extra = 0
    fields = ["position", "role", "route", "name", "precedence", "serial", "excluded"]


class ReferenceInline(admin.TabularInline):
    model = Reference
    fk_name = "citing"
    extra = 0
    fields = ["position", "target_refid", "cited"]
    # A select of every cable would load the whole archive into one form field.
    raw_id_fields = ["cited"]


class CableTagInline(admin.TabularInline):
    model = CableTag
    extra = 0
    fields = ["position", "tag"]
    autocomplete_fields = ["tag"]
    verbose_name = "TAG"
    verbose_name_plural = "TAGs"


class CableVersionInline(admin.TabularInline):
    model = CableVersion
    extra = 0
    fields = ["imported_at", "replaced_at", "source", "source_format", "content_hash"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Cable)
class CableAdmin(admin.ModelAdmin):
    list_display = ["refid", "created", "origin", "classification", "short_subject"]
    list_select_related = ["origin"]
    list_filter = ["origin", "classification", YearFilter, TagFilter, "precedence"]
    search_fields = ["refid", "subject"]
    date_hierarchy = "created"
    show_full_result_count = False
    list_per_page = 50
    inlines = [CableTagInline, RecipientInline, ReferenceInline, CableVersionInline]
    provenance = [
        "raw",
        "content_hash",
        "source",
        "source_format",
        "source_position",
        "warnings",
        "imported_at",
        "updated_at",
    ]
    # The text is read from the raw record (cables/storedtext.py); re-import to change it.
    readonly_fields = ["header", "body", *provenance]
    fieldsets = [
        (None, {"fields": ["refid", "dump_id", "created", "origin", "classification"]}),
        (
            "Fields",
            {
                "fields": [
                    "precedence",
                    "transmission_id",
                    "subject",
                    "summary",
                    "signed_by",
                    ("classified_by", "classified_by_title", "classification_reasons"),
                    ("decl_date", "decl_text"),
                    "caveats",
                ]
            },
        ),
        ("Text", {"fields": ["header", "body"], "classes": ["collapse"]}),
        ("Provenance", {"fields": provenance}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cable]:
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("_changelist"):
            return queryset.defer(
                "header_stored", "body_stored", "raw", "search_vector", "warnings", "summary"
            )
        return queryset

    def save_model(self, request, obj, form, change) -> None:
        if change:
            search.unindex_cables([obj.pk])  # the index must still see what it indexed
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # Subject, TAGs and origin feed the full-text index; an edit must reach it too.
        search.index_cables([form.instance.pk])

    @admin.display(description="subject", ordering="subject")
    def short_subject(self, cable: Cable) -> str:
        return Truncator(cable.subject).chars(90)

    def get_urls(self):
        view = self.admin_site.admin_view(admin_views.import_cables)
        return [path("import/", view, name="cables_cable_import"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import": request.user.has_perms(admin_views.IMPORT_PERMISSIONS),
        }
        return super().changelist_view(request, extra_context)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "description", "cable_count"]
    list_editable = ["kind", "description"]
    list_filter = ["kind"]
    search_fields = ["code", "description"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(cable_count=Count("cabletag"))

    @admin.display(description="cables", ordering="cable_count")
    def cable_count(self, tag: Tag) -> int:
        return tag.cable_count


@admin.register(Origin)
class OriginAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "cable_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Origin]:
        return super().get_queryset(request).annotate(cable_count=Count("cables"))

    @admin.display(description="cables", ordering="cable_count")
    def cable_count(self, origin: Origin) -> int:
        return origin.cable_count


@admin.register(RejectedRecord)
class RejectedRecordAdmin(admin.ModelAdmin):
    list_display = ["created_at", "source", "position", "line", "short_error", "status", "job"]
    list_select_related = ["job"]
    list_filter = ["status", "source_format", "job"]
    search_fields = ["source", "error"]
    fields = [
        "source",
        "source_format",
        "position",
        "line",
        "error",
        "raw",
        "status",
        "cable",
        "job",
        "created_at",
        "retried_at",
    ]
    readonly_fields = [
        "source",
        "source_format",
        "position",
        "line",
        "error",
        "status",
        "cable",
        "job",
        "created_at",
        "retried_at",
    ]
    actions = ["retry"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RejectedRecord]:
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("_changelist"):
            return queryset.defer("raw")
        return queryset

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="error")
    def short_error(self, record: RejectedRecord) -> str:
        return Truncator(record.error).chars(120)

    @admin.action(description="Retry the selected records", permissions=["change", "retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[RejectedRecord]) -> None:
        imported = 0
        for record in queryset.filter(status=RejectedRecord.Status.PENDING):
            if self._retry_one(request, record):
                imported += 1
        if imported:
            messages.success(request, f"{imported} record(s) imported.")

    def has_retry_permission(self, request: HttpRequest) -> bool:
        """A retry writes a cable; replacing an existing one is checked again once it is known."""
        return request.user.has_perm(RETRY_PERMISSION)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        can_retry = self.has_retry_permission(request)
        if request.method == "POST" and "_retry" in request.POST and not can_retry:
            raise PermissionDenied
        extra_context = {**(extra_context or {}), "can_retry": can_retry}
        return super().change_view(request, object_id, form_url, extra_context)

    def response_change(self, request: HttpRequest, obj: RejectedRecord) -> HttpResponse:
        if "_retry" in request.POST:
            self._retry_one(request, obj)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def delete_model(self, request: HttpRequest, obj: RejectedRecord) -> None:
        job = obj.job
        super().delete_model(request, obj)
        if job is not None:
            _release_after_commit(job)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RejectedRecord]) -> None:
        jobs = list(ImportJob.objects.filter(rejections__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        for job in jobs:
            _release_after_commit(job)

    def _retry_one(self, request: HttpRequest, record: RejectedRecord) -> bool:
        started = timezone.now()
        with transaction.atomic():
            try:
                cable = retry_rejected(record)
            except RetryError as exc:
                messages.error(request, f"{record}: still rejected: {exc}")
                return False
            # A cable first imported before this retry was replaced, not created.
            replaced = cable.imported_at < started
            refused = replaced and not request.user.has_perm(REPLACE_PERMISSION)
            if refused:
                transaction.set_rollback(True)
        if refused:
            record.refresh_from_db()
            messages.error(request, _replace_refused(record, cable.refid))
            return False
        if record.job is not None:
            _release_after_commit(record.job)
        messages.success(request, _retried(record, cable.refid, replaced))
        return True


def _release_after_commit(job: ImportJob) -> None:
    # Deleting files cannot be rolled back, so wait until the resolution is stored for good.
    transaction.on_commit(partial(release_uploads, job))


def _retried(record: RejectedRecord, refid: str, replaced: bool) -> str:
    if replaced:
        return (
            f"{record}: updated the existing cable {refid}; "
            "its previous text is kept as an earlier version."
        )
    return f"{record}: imported as {refid}."


def _replace_refused(record: RejectedRecord, refid: str) -> str:
    return (
        f"{record}: not imported: the text is the existing cable {refid}, and replacing it "
        "needs the permission to change cables."
    )


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "status",
        "dry_run",
        "created_by",
        "created_at",
        "done",
        "total",
        "new",
        "updated",
        "unchanged",
        "rejected",
    ]
    list_select_related = ["created_by"]
    list_filter = ["status", "dry_run"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:cables_importjob_progress", object_id)

    def delete_model(self, request: HttpRequest, obj: ImportJob) -> None:
        self.delete_queryset(request, ImportJob.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        # With the job gone nothing would point at its folder any more.
        keys = [key for job in queryset for key in job.upload_keys()]
        super().delete_queryset(request, queryset)
        transaction.on_commit(lambda: remove_stored(keys))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/progress/",
                wrap(admin_views.job_progress),
                name="cables_importjob_progress",
            ),
            path(
                "<int:pk>/progress.json",
                wrap(admin_views.job_progress_json),
                name="cables_importjob_progress_json",
            ),
            path("<int:pk>/retry/", wrap(admin_views.job_retry), name="cables_importjob_retry"),
            *super().get_urls(),
        ]


@admin.register(ReparseRun)
class ReparseRunAdmin(admin.ModelAdmin):
    """What `manage.py reparse` did and where a killed run will resume: read-only."""

    list_display = ["__str__", "started_at", "finished_at", "last_id", "total", "changes"]
    readonly_fields = ["started_at", "updated_at", "finished_at", "last_id", "total", "report"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="changed / reparsed")
    def changes(self, run: ReparseRun) -> str:
        report = run.report or {}
        return f"{report.get('changed', 0):,} / {report.get('records', 0):,}"

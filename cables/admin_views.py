"""The admin's import page and job pages, wired into the admin by `cables.admin`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from .forms import ImportForm
from .models import ImportJob
from .tasks import STALLED_AFTER, enqueue_import, is_stalled, kept_files, retry_job
from .uploads import SizeLimitedUploadHandler, UploadRejected, store_uploads, too_large_message

# An import adds cables and updates those whose text changed between releases: it needs both.
IMPORT_PERMISSIONS = ("cables.add_cable", "cables.change_cable")
JOB_VIEW_PERMISSION = "cables.view_importjob"
NEW_CABLE_LINKS = 100


def _require_import_permission(request: HttpRequest) -> None:
    if not request.user.has_perms(IMPORT_PERMISSIONS):
        raise PermissionDenied


# The upload handler must be swapped in before anything reads the body, and the CSRF middleware
# reads it; so the middleware is skipped here and the same check runs inside, once it is set.
@csrf_exempt
def import_cables(request: HttpRequest) -> HttpResponse:
    _require_import_permission(request)
    handler = SizeLimitedUploadHandler(request)
    request.upload_handlers = [handler]
    return _import_cables(request, handler)


@csrf_protect
def _import_cables(request: HttpRequest, handler: SizeLimitedUploadHandler) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST":
        if handler.exceeded:
            form.is_valid()
            # The files were never received, so "required" would only confuse.
            form.errors.pop("files", None)
            form.add_error(None, too_large_message(handler.limit))
        elif form.is_valid():
            job = _queue_upload(request, form)
            if job is not None:
                return redirect("admin:cables_importjob_progress", job.pk)
    context = {
        **admin.site.each_context(request),
        "title": "Import cables",
        "form": form,
        "max_upload_bytes": handler.limit,
        "recent_jobs": ImportJob.objects.select_related("created_by")[:10],
    }
    return TemplateResponse(request, "admin/cables/import.html", context)


def _queue_upload(request: HttpRequest, form: ImportForm) -> ImportJob | None:
    try:
        stored = store_uploads(form.cleaned_data["files"])
    except UploadRejected as exc:
        form.add_error("files", str(exc))
        return None
    forced = form.cleaned_data["format"] or None
    job = ImportJob.objects.create(
        dry_run=form.cleaned_data["dry_run"],
        files=[{**item.as_json(), "format": forced} for item in stored],
        created_by=request.user,
    )
    enqueue_import(job)
    return job


def _require_job_view_permission(request: HttpRequest) -> None:
    if not request.user.has_perms([JOB_VIEW_PERMISSION]) and not request.user.has_perms(
        IMPORT_PERMISSIONS
    ):
        raise PermissionDenied


def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    _require_job_view_permission(request)
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    context = {
        **admin.site.each_context(request),
        "title": str(job),
        "job": job,
        "progress": progress(job),
        "new_cables": job.new_refids[:NEW_CABLE_LINKS],
        "more_new": max(0, len(job.new_refids) - NEW_CABLE_LINKS),
        "rejected_url": rejected_url(job),
        "can_retry": can_retry(request, job),
        "kept_files": kept_files(job),
        "stalled_minutes": int(STALLED_AFTER.total_seconds() // 60),
    }
    return TemplateResponse(request, "admin/cables/importjob_progress.html", context)


@require_GET
def job_progress_json(request: HttpRequest, pk: int) -> JsonResponse:
    _require_job_view_permission(request)
    job = get_object_or_404(ImportJob, pk=pk)
    return JsonResponse(progress(job))


@require_POST
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    if not can_retry(request, job):
        raise PermissionDenied
    retry_job(job)
    messages.success(request, f"{job} was queued again.")
    return redirect("admin:cables_importjob_progress", job.pk)


def can_retry(request: HttpRequest, job: ImportJob) -> bool:
    retryable = job.status == ImportJob.Status.FAILED or is_stalled(job)
    return retryable and request.user.has_perms(IMPORT_PERMISSIONS)


def rejected_url(job: ImportJob) -> str:
    return f"{reverse('admin:cables_rejectedrecord_changelist')}?job__id__exact={job.pk}"


def progress(job: ImportJob) -> dict[str, Any]:
    """What the job page shows and its JSON endpoint returns: counts, rate and state."""
    elapsed = _elapsed_seconds(job)
    return {
        "id": job.pk,
        "status": job.status,
        "running": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
        "stalled": is_stalled(job),
        "dry_run": job.dry_run,
        "done": job.done,
        "total": job.total,
        "percent": round(100 * job.done / job.total) if job.total else None,
        "new": job.new,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "rejected": job.rejected,
        "elapsed": round(elapsed, 1) if elapsed is not None else None,
        "rate": round(job.done / elapsed, 1) if elapsed and job.done else None,
        "error": job.error,
    }


def _elapsed_seconds(job: ImportJob) -> float | None:
    if job.started_at is None:
        return None
    end = job.finished_at or timezone.now()
    return (end - job.started_at).total_seconds()

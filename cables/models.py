from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from . import storedtext

if TYPE_CHECKING:
    from datetime import datetime

    from .importing import ImportSummary


class Origin(models.Model):
    """A post that sends cables: "Embassy Lima", "Secretary of State", "Mission USNATO"."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("origin")
        verbose_name_plural = _("origins")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"{reverse('cables:cable_list')}?origin={self.slug}"


class Tag(models.Model):
    """A code of the State Department TAGS list (SNAR, PGOV, PE) or a person tag."""

    class Kind(models.TextChoices):
        SUBJECT = "subject", _("subject")
        GEO = "geo", _("geographic")
        PROGRAM = "program", _("program")
        PERSON = "person", _("person")
        ORG = "org", _("organisation")
        UNKNOWN = "unknown", _("unknown")

    code = models.CharField(_("code"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SUBJECT)
    description = models.TextField(
        _("description"), blank=True, help_text=_("What the code means, shown on cable pages.")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return f"{reverse('cables:cable_list')}?{urlencode({'tag': self.code})}"


def _tags_in_order() -> models.Prefetch:
    """A cable's TAGs as the cable lists them (CableTag.position), for Cable.tag_list."""
    return models.Prefetch("cabletag_set", queryset=CableTag.objects.select_related("tag"))


# The stored text: a list reads none of it; a page reads it all (spans are read with raw).
_TEXT_FIELDS = ("raw", "header_stored", "body_stored")


class CableQuerySet(models.QuerySet):
    def for_list(self):
        return (
            self.select_related("origin")
            .prefetch_related(_tags_in_order())
            .defer(*_TEXT_FIELDS, "search_vector", "warnings")
        )

    def for_detail(self):
        # Cited and citing cables show only their id, date and post: leave their text unread.
        heavy = (*_TEXT_FIELDS, "search_vector", "warnings")
        return (
            self.select_related("origin")
            .defer("search_vector")
            .prefetch_related(
                _tags_in_order(),
                "recipients",
                models.Prefetch(
                    "references",
                    queryset=Reference.objects.select_related("cited").defer(
                        *(f"cited__{name}" for name in heavy)
                    ),
                ),
                models.Prefetch(
                    "cited_by",
                    queryset=Reference.objects.select_related("citing__origin")
                    .defer(*(f"citing__{name}" for name in heavy))
                    .order_by("citing__created"),
                ),
                models.Prefetch("versions", queryset=CableVersion.objects.order_by("-replaced_at")),
            )
        )

    def for_neighbours(self):
        return self.select_related(None).only("refid", "created", "subject", "origin_id")

    def previous_in_post(self, cable: "Cable"):
        """The cable the same post sent just before this one (by date, then id), or None."""
        if cable.created is None:
            return None
        earlier = models.Q(created__lt=cable.created) | models.Q(
            created=cable.created, id__lt=cable.id
        )
        return (
            self.for_neighbours()
            .filter(earlier, origin_id=cable.origin_id)
            .order_by("-created", "-id")
            .first()
        )

    def next_in_post(self, cable: "Cable"):
        """The cable the same post sent just after this one (by date, then id), or None."""
        if cable.created is None:
            return None
        later = models.Q(created__gt=cable.created) | models.Q(
            created=cable.created, id__gt=cable.id
        )
        return (
            self.for_neighbours()
            .filter(later, origin_id=cable.origin_id)
            .order_by("created", "id")
            .first()
        )


class Cable(models.Model):
    class Precedence(models.TextChoices):
        FLASH = "FLASH", "FLASH"
        IMMEDIATE = "IMMEDIATE", "IMMEDIATE"
        PRIORITY = "PRIORITY", "PRIORITY"
        ROUTINE = "ROUTINE", "ROUTINE"

    refid = models.CharField(_("reference id"), max_length=64, unique=True)
    dump_id = models.PositiveBigIntegerField(_("dump id"), null=True, blank=True, db_index=True)
    created = models.DateTimeField(_("date and time (UTC)"), null=True, blank=True, db_index=True)
    origin = models.ForeignKey(
        Origin, on_delete=models.PROTECT, related_name="cables", verbose_name=_("origin")
    )
    classification = models.CharField(_("classification"), max_length=100, db_index=True)
    precedence = models.CharField(
        _("precedence"), max_length=20, blank=True, choices=Precedence.choices, db_index=True
    )
    transmission_id = models.CharField(_("transmission id"), max_length=40, blank=True)
    subject = models.TextField(_("subject"), blank=True)
    summary = models.TextField(_("summary"), blank=True)
    signed_by = models.CharField(_("signed by"), max_length=200, blank=True)
    classified_by = models.CharField(_("classified by"), max_length=300, blank=True)
    classified_by_title = models.CharField(_("classifier's title"), max_length=300, blank=True)
    classification_reasons = models.CharField(
        _("classification reasons"), max_length=200, blank=True
    )
    decl_date = models.DateField(_("declassify on"), null=True, blank=True)
    decl_text = models.CharField(_("declassification line"), max_length=300, blank=True)
    caveats = models.JSONField(_("handling caveats"), default=list, blank=True)
    raw = models.TextField(_("raw text as imported"))
    # Header and body are spans of raw where they can be (cables/storedtext.py): text stored once.
    header_stored = models.TextField(
        _("header, where it is not a span of the raw text"), blank=True, db_column="header"
    )
    header_start = models.PositiveIntegerField(null=True, blank=True, editable=False)
    header_end = models.PositiveIntegerField(null=True, blank=True, editable=False)
    body_stored = models.TextField(
        _("body, where it is not a span of the raw text"), blank=True, db_column="body"
    )
    body_start = models.PositiveIntegerField(null=True, blank=True, editable=False)
    body_end = models.PositiveIntegerField(null=True, blank=True, editable=False)
    tags = models.ManyToManyField(Tag, through="CableTag", related_name="cables")

    source = models.CharField(_("source file"), max_length=1000, blank=True)
    source_format = models.CharField(_("source format"), max_length=20, blank=True)
    source_position = models.CharField(_("record position"), max_length=200, blank=True)
    content_hash = models.CharField(_("content hash (SHA-256 of the cable text)"), max_length=64)
    warnings = models.JSONField(_("parse warnings"), default=list, blank=True)
    tags_as_written = models.JSONField(
        _("TAGs as written"),
        default=list,
        blank=True,
        help_text=_("The items of the TAGS line before any correction, in the cable's order."),
    )
    corrections = models.JSONField(
        _("corrections"),
        default=list,
        blank=True,
        help_text=_(
            "What the parser normalised, beside what the cable wrote: "
            '[{"field": "tag", "written": "RU", "value": "RS"}, …].'
        ),
    )
    imported_at = models.DateTimeField(_("first imported"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    # PostgreSQL's weighted tsvector; SQLite keeps its index in an FTS5 table (cables/search.py).
    search_vector = SearchVectorField(null=True, editable=False)

    objects = CableQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "refid"]
        verbose_name = _("cable")
        verbose_name_plural = _("cables")
        indexes = [
            models.Index(fields=["origin", "created"], name="cable_origin_created"),
            models.Index(fields=["created", "id"], name="cable_created_id"),
            models.Index(fields=["updated_at"], name="cable_updated_at"),
            # Everything a summary reads of a cable, so counting the matches of a common word
            # reads this index, not the rows (see facets._summarize).
            models.Index(
                fields=["id", "origin", "classification", "created"], name="cable_summary"
            ),
        ]

    def __str__(self) -> str:
        return self.refid

    def get_absolute_url(self) -> str:
        return reverse("cables:cable_detail", args=[self.refid])

    @property
    def header(self) -> str:
        """The transmission header, read from the raw text where it is a span of it."""
        return storedtext.read(
            self.raw, self.header_stored, self.header_start, self.header_end, self.source_format
        )

    @header.setter
    def header(self, text: str) -> None:
        self.header_stored, self.header_start, self.header_end = text, None, None

    @property
    def body(self) -> str:
        """The cable text from the classification line on."""
        return storedtext.read(
            self.raw, self.body_stored, self.body_start, self.body_end, self.source_format
        )

    @body.setter
    def body(self, text: str) -> None:
        self.body_stored, self.body_start, self.body_end = text, None, None

    @property
    def source_name(self) -> str:
        """The source file as readers see it: its name, never where it lies on the server."""
        return public_source(self.source)

    @property
    def tag_list(self) -> list["Tag"]:
        """The TAGs in the cable's own order; prefetched by for_list() and for_detail()."""
        return [link.tag for link in self.cabletag_set.all()]

    def as_written(self, field: str) -> list[str]:
        """What the cable wrote where the parser corrected a `field` ("tag", "origin", …)."""
        return [c["written"] for c in self.corrections if c.get("field") == field]


class CableTag(models.Model):
    cable = models.ForeignKey(Cable, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["cable", "tag"], name="cabletag_unique")]
        indexes = [models.Index(fields=["tag", "cable"], name="cabletag_tag_cable")]

    def __str__(self) -> str:
        return f"{self.cable_id} {self.tag_id}"


class Recipient(models.Model):
    class Role(models.TextChoices):
        ACTION = "action", _("action (TO)")
        INFO = "info", _("information (INFO)")

    cable = models.ForeignKey(Cable, on_delete=models.CASCADE, related_name="recipients")
    position = models.PositiveSmallIntegerField(default=0)
    role = models.CharField(_("role"), max_length=6, choices=Role.choices)
    route = models.CharField(_("routing indicator"), max_length=20, blank=True)
    name = models.CharField(_("name"), max_length=300, db_index=True)
    precedence = models.CharField(_("precedence"), max_length=40, blank=True)
    serial = models.CharField(_("serial number"), max_length=20, blank=True)
    excluded = models.JSONField(_("excluded (XMT)"), default=list, blank=True)

    class Meta:
        ordering = ["cable", "position"]
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"


class Reference(models.Model):
    """A cable cited on a REF line; `cited` is set once the cited cable is in the archive."""

    citing = models.ForeignKey(Cable, on_delete=models.CASCADE, related_name="references")
    position = models.PositiveSmallIntegerField(default=0)
    target_refid = models.CharField(_("cited reference id"), max_length=64, db_index=True)
    text = models.CharField(
        _("as written"), max_length=300, blank=True, help_text=_("The REF item it was read from.")
    )
    cited = models.ForeignKey(
        Cable, on_delete=models.SET_NULL, null=True, blank=True, related_name="cited_by"
    )

    class Meta:
        ordering = ["citing", "position"]
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        constraints = [
            models.UniqueConstraint(fields=["citing", "target_refid"], name="reference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.citing_id} → {self.target_refid}"


class CableVersion(models.Model):
    """The text a cable had before a later release changed it."""

    cable = models.ForeignKey(Cable, on_delete=models.CASCADE, related_name="versions")
    raw = models.TextField(_("raw text"))
    content_hash = models.CharField(max_length=64)
    source = models.CharField(max_length=1000, blank=True)
    source_format = models.CharField(max_length=20, blank=True)
    source_position = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField(_("imported"))
    replaced_at = models.DateTimeField(_("replaced"), auto_now_add=True)

    class Meta:
        ordering = ["cable", "-replaced_at"]
        verbose_name = _("earlier version")
        verbose_name_plural = _("earlier versions")

    def __str__(self) -> str:
        return f"{self.cable_id} as of {self.imported_at:%Y-%m-%d}"

    @property
    def source_name(self) -> str:
        return public_source(self.source)


def public_source(source: str) -> str:
    """Without its folders: /srv/uploads/17/pages.zip!cable/x.html → pages.zip!cable/x.html."""
    path, bang, member = source.partition("!")
    return path.replace("\\", "/").rsplit("/", 1)[-1] + bang + member


class RejectedRecord(models.Model):
    """A record that could not be imported, kept raw so an operator can fix and re-run it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RESOLVED = "resolved", _("imported on retry")

    source = models.CharField(_("source file"), max_length=1000)
    source_format = models.CharField(_("format"), max_length=20, blank=True)
    position = models.CharField(_("record position"), max_length=200, blank=True)
    line = models.PositiveIntegerField(_("line"), null=True, blank=True)
    error = models.TextField(_("error"))
    raw = models.TextField(_("raw text"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    cable = models.ForeignKey(
        Cable, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    job = models.ForeignKey(
        "ImportJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="rejections"
    )
    created_at = models.DateTimeField(_("rejected at"), auto_now_add=True)
    retried_at = models.DateTimeField(_("last retried"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rejected record")
        verbose_name_plural = _("rejected records")

    def __str__(self) -> str:
        return f"{self.source} {self.position}".strip()


_JOB_COUNTS = ("done", "new", "updated", "unchanged", "rejected", "new_refids")


class ImportJobQuerySet(models.QuerySet["ImportJob"]):
    def releasable(self) -> "ImportJobQuerySet":
        """Finished jobs whose uploads no pending rejection still needs: they may be deleted.

        Rejections can hold incomplete text (refused archives, binary heads, truncated records),
        so the files are the only full copy until every rejection is resolved or deleted.
        """
        return self.filter(status=ImportJob.Status.DONE).exclude(
            rejections__status=RejectedRecord.Status.PENDING
        )

    def failed_before(self, cutoff: "datetime") -> "ImportJobQuerySet":
        return self.filter(status=ImportJob.Status.FAILED, finished_at__lt=cutoff)


class ImportJob(models.Model):
    """A background import of uploaded files, run by the task worker.

    queued → running → done or failed; a failed or stalled job can be reset and queued again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    dry_run = models.BooleanField(_("parse only"), default=False)
    files = models.JSONField(_("uploaded files"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(_("last progress"), auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(_("records expected"), null=True, blank=True)
    done = models.PositiveIntegerField(_("records done"), default=0)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    preview = models.JSONField(default=list, blank=True)
    new_refids = models.JSONField(default=list, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.get_status_display()})"

    def upload_keys(self) -> list[str]:
        """The names of its files in the uploads storage."""
        return [entry["key"] for entry in self.files]

    def pending_rejections(self) -> "models.QuerySet[RejectedRecord]":
        return self.rejections.filter(status=RejectedRecord.Status.PENDING)

    def queued_as(self, task_id: str) -> None:
        # With the immediate backend the job has already run: write this column and no other.
        self.task_id = task_id[:64]
        ImportJob.objects.filter(pk=self.pk).update(task_id=self.task_id)

    def start(self) -> None:
        self.status = self.Status.RUNNING
        self.started_at = timezone.now()
        self.save(update_fields=["status", "started_at"])

    def expect(self, total: int | None) -> None:
        """Note how many records the files hold, for the progress bar; None when unknown."""
        self.total = total
        self.save(update_fields=["total"])

    def record_progress(self, summary: "ImportSummary") -> None:
        """Store the figures so far; the job page reads them, and `updated_at` shows it is alive."""
        self._count(summary)
        self.save(update_fields=[*_JOB_COUNTS, "updated_at"])

    def finish(self, summary: "ImportSummary", preview: list[dict[str, Any]]) -> None:
        self.status = self.Status.DONE
        self.finished_at = timezone.now()
        self.total = summary.records
        self._count(summary)
        self.preview = preview
        self._store("status", "finished_at", "total", *_JOB_COUNTS, "preview")

    def fail(self, exc: BaseException) -> None:
        self.status = self.Status.FAILED
        self.error = f"{type(exc).__name__}: {exc}"
        self.finished_at = timezone.now()
        self._store("status", "error", "finished_at")

    def reset(self) -> None:
        """Back to the queue as if never run, to run again on the same files."""
        self.status = self.Status.QUEUED
        self.error = ""
        self.started_at = self.finished_at = self.total = None
        self.done = self.new = self.updated = self.unchanged = self.rejected = 0
        self.new_refids = []
        self.preview = []
        self.save()

    def _count(self, summary: "ImportSummary") -> None:
        self.done = summary.records
        self.new, self.updated, self.unchanged = summary.new, summary.updated, summary.unchanged
        self.rejected = summary.rejected
        self.new_refids = list(summary.new_refids)

    def _store(self, *names: str) -> None:
        # An UPDATE, not save(): a job deleted while it ran must not turn its ending into an error
        # (which, in fail(), would hide the error being recorded).
        ImportJob.objects.filter(pk=self.pk).update(**{name: getattr(self, name) for name in names})


class OriginAlias(models.Model):
    """A post's former slug (a renamed post, "Embassy Kiev" → "Embassy Kyiv"): its URLs redirect."""

    slug = models.SlugField(max_length=200, unique=True)
    origin = models.ForeignKey(Origin, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        verbose_name = _("former origin slug")
        verbose_name_plural = _("former origin slugs")

    def __str__(self) -> str:
        return f"{self.slug} → {self.origin.slug}"


class CableAlias(models.Model):
    """A reference id a cable was stored under before a reparse derived another: it redirects."""

    refid = models.CharField(max_length=64, unique=True)
    cable = models.ForeignKey(Cable, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        verbose_name = _("former reference id")
        verbose_name_plural = _("former reference ids")

    def __str__(self) -> str:
        return f"{self.refid} → {self.cable.refid}"


class ReparseRun(models.Model):
    """One `reparse` over the archive; its checkpoint (`last_id`) lets a killed run resume."""

    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_id = models.BigIntegerField(_("last cable done"), default=0)
    total = models.PositiveIntegerField(_("cables to do"), default=0)
    report = models.JSONField(_("figures so far"), default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("reparse run")
        verbose_name_plural = _("reparse runs")

    def __str__(self) -> str:
        state = "finished" if self.finished_at else f"at cable #{self.last_id}"
        return f"Reparse #{self.pk} ({state})"


class ArchiveState(models.Model):
    """One row whose generation grows with every change to what the pages show of the archive.

    Pages and whole-archive caches are keyed by it (facets.archive_version): one row read, where
    counting the cables costs a scan on PostgreSQL (50 ms at 251,287 cables). The import's writer
    moves it once a batch, in the batch's transaction; ORM saves and deletes move it by signal.
    """

    generation = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("archive state")

    def __str__(self) -> str:
        return f"generation {self.generation}"

    @classmethod
    def changed(cls) -> None:
        if not cls.objects.filter(pk=1).update(generation=models.F("generation") + 1):
            cls.objects.get_or_create(pk=1, defaults={"generation": 1})


def archive_changed(sender: type[models.Model], **kwargs: object) -> None:
    """post_save / post_delete of a model the pages show."""
    if not kwargs.get("raw"):
        ArchiveState.changed()


class StoredUpload(models.Model):
    """An upload kept in the database (DatabaseStorage), where any machine's worker can read it."""

    name = models.CharField(max_length=1000, unique=True)
    size = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stored upload")
        verbose_name_plural = _("stored uploads")

    def __str__(self) -> str:
        return self.name


class StoredUploadChunk(models.Model):
    """One slice of a stored upload; every slice but the last holds exactly the chunk size."""

    upload = models.ForeignKey(StoredUpload, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["upload", "index"], name="stored_upload_chunk_order")
        ]

    def __str__(self) -> str:
        return f"{self.upload_id} #{self.index}"

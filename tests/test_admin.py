"""The admin's curation pages: cables, TAG glossary, origins, rejected records, import jobs."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cables import search
from cables.importing import import_paths
from cables.models import Cable, ImportJob, Origin, RejectedRecord, Tag

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
LIMA_RAW = DATA / "import_07LIMA3673.txt"
TINY_CSV = DATA / "cables_tiny.csv"
CABLE_LIST = reverse("admin:cables_cable_changelist")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def plain_static_storage(settings) -> None:
    # The manifest storage needs collectstatic, which tests do not run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def lima() -> Cable:
    import_paths([LIMA_RAW])
    return Cable.objects.get(refid="07LIMA3673")


@pytest.fixture
def tiny_csv() -> None:
    import_paths([TINY_CSV])


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def staff_with(django_user_model, client, *codenames: str):
    user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def edited_lima() -> str:
    return LIMA_RAW.read_text().replace("ONDCP Director Walters met", "Director Walters met")


def rejected_lima(raw: str) -> RejectedRecord:
    return RejectedRecord.objects.create(
        source="upload/lima.txt", source_format="raw", position="file", error="no origin", raw=raw
    )


# Cables


def test_the_cable_list_shows_refid_date_origin_classification_and_subject(admin_client, lima):
    content = admin_client.get(CABLE_LIST).content.decode()
    for text in ["07LIMA3673", "Embassy Lima", "CONFIDENTIAL", "ONDCP DIRECTOR WALTERS"]:
        assert text in content


def test_the_cable_list_runs_as_many_queries_for_twelve_cables_as_for_one(admin_client, lima):
    one = queries_for(admin_client, CABLE_LIST)
    import_paths([TINY_CSV])
    assert Cable.objects.count() > 10
    assert queries_for(admin_client, CABLE_LIST) == one


def test_a_filtered_cable_list_runs_as_many_queries_for_twelve_cables_as_for_one(
    admin_client, lima
):
    url = f"{CABLE_LIST}?classification=UNCLASSIFIED&year=1972"
    one = queries_for(admin_client, url)
    import_paths([TINY_CSV])
    assert queries_for(admin_client, url) == one


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("origin__id__exact={lima_origin}", {"07LIMA3673"}),
        ("year=2007", {"07LIMA3673"}),
        ("tag=SNAR", {"07LIMA3673"}),
        ("precedence__exact=IMMEDIATE", {"73TEHRAN7005", "7575LIBREVILLE1895"}),
        ("q=WALTERS", {"07LIMA3673"}),
        ("q=07LIMA", {"07LIMA3673"}),
        ("created__year=1972", {"72TEHRAN1164", "72TEHRAN1381", "72TEHRAN4789", "72TEHRAN5055"}),
    ],
    ids=["origin", "year", "tag", "precedence", "subject", "refid", "date-hierarchy"],
)
def test_the_cable_list_filters_and_searches(admin_client, lima, tiny_csv, query, expected):
    url = f"{CABLE_LIST}?{query.format(lima_origin=lima.origin_id)}"
    cables = admin_client.get(url).context["cl"].result_list
    assert {cable.refid for cable in cables} == expected


def test_the_classification_filter_lists_each_classification(admin_client, lima, tiny_csv):
    content = admin_client.get(CABLE_LIST).content.decode()
    assert "?classification=SECRET" in content
    assert "?classification=CONFIDENTIAL" in content


def test_the_cable_page_shows_recipients_and_references_inline(admin_client, lima):
    content = admin_client.get(reverse("admin:cables_cable_change", args=[lima.pk])).content
    assert b"USSOUTHCOM MIAMI FL" in content
    assert b"07LIMA3638" in content


def test_the_raw_text_of_a_cable_cannot_be_edited(admin_client, lima):
    response = admin_client.get(reverse("admin:cables_cable_change", args=[lima.pk]))
    assert "raw" not in response.context["adminform"].form.fields
    assert "ONDCP Director Walters met" in response.content.decode()


# TAG glossary and origins


def test_a_tag_kind_and_description_can_be_edited(admin_client, lima):
    tag = Tag.objects.get(code="SNAR")
    url = reverse("admin:cables_tag_change", args=[tag.pk])
    admin_client.post(url, {"code": "SNAR", "kind": "subject", "description": "Narcotics"})
    tag.refresh_from_db()
    assert tag.description == "Narcotics"


def test_an_edited_subject_is_found_by_full_text_search(admin_client, lima):
    url = reverse("admin:cables_cable_change", args=[lima.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        subject="Quinoa harvest", caveats="[]", created_0="2007-11-20", created_1="13:37:00"
    )
    for prefix in ["cabletag_set", "recipients", "references", "versions"]:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(search.matching(Cable.objects.all(), "quinoa")) == [lima]


def test_the_tag_list_counts_the_cables_of_each_tag(admin_client, lima):
    response = admin_client.get(reverse("admin:cables_tag_changelist") + "?q=SNAR")
    (tag,) = response.context["cl"].result_list
    assert tag.cable_count == 1


def test_the_origin_list_counts_the_cables_of_each_post(admin_client, tiny_csv):
    response = admin_client.get(reverse("admin:cables_origin_changelist") + "?q=Tehran")
    (origin,) = response.context["cl"].result_list
    assert origin.name == "Embassy Tehran"
    assert origin.cable_count == Cable.objects.filter(origin=origin).count()


def test_the_tag_list_runs_as_many_queries_for_many_tags_as_for_few(admin_client, lima):
    few = queries_for(admin_client, reverse("admin:cables_tag_changelist"))
    import_paths([TINY_CSV])
    assert queries_for(admin_client, reverse("admin:cables_tag_changelist")) == few


# Rejected records


def test_a_rejected_record_shows_its_error_and_raw_text(admin_client):
    record = rejected_lima(LIMA_RAW.read_text().replace("FM AMEMBASSY LIMA\n", ""))
    content = admin_client.get(reverse("admin:cables_rejectedrecord_change", args=[record.pk]))
    assert b"no origin" in content.content
    assert b"ONDCP Director Walters" in content.content


def test_an_edited_rejected_record_is_imported_on_save_and_rerun(admin_client):
    record = rejected_lima(LIMA_RAW.read_text().replace("FM AMEMBASSY LIMA\n", ""))
    url = reverse("admin:cables_rejectedrecord_change", args=[record.pk])
    admin_client.post(url, {"raw": LIMA_RAW.read_text(), "_retry": "Save and re-run"})
    record.refresh_from_db()
    assert record.status == RejectedRecord.Status.RESOLVED
    assert record.cable.refid == "07LIMA3673"


def test_a_rerun_that_still_fails_keeps_the_record_pending_with_the_new_error(admin_client):
    record = rejected_lima("not a cable at all")
    url = reverse("admin:cables_rejectedrecord_change", args=[record.pk])
    response = admin_client.post(url, {"raw": "still not a cable", "_retry": "x"}, follow=True)
    record.refresh_from_db()
    assert record.status == RejectedRecord.Status.PENDING
    assert record.raw == "still not a cable"
    assert "still rejected" in response.content.decode()


def test_the_retry_action_imports_every_fixed_record(admin_client):
    fixed = rejected_lima(LIMA_RAW.read_text())
    broken = rejected_lima("not a cable")
    admin_client.post(
        reverse("admin:cables_rejectedrecord_changelist"),
        {"action": "retry", "_selected_action": [fixed.pk, broken.pk]},
    )
    fixed.refresh_from_db()
    broken.refresh_from_db()
    assert (fixed.status, broken.status) == ("resolved", "pending")


def test_a_rerun_that_replaces_an_existing_cable_says_so_plainly(admin_client, lima):
    record = rejected_lima("not a cable")
    url = reverse("admin:cables_rejectedrecord_change", args=[record.pk])
    response = admin_client.post(url, {"raw": edited_lima(), "_retry": "x"}, follow=True)
    assert (
        "updated the existing cable 07LIMA3673; its previous text is kept as an earlier version"
        in response.content.decode()
    )


def test_a_rerun_that_creates_a_cable_does_not_claim_to_update_one(admin_client):
    record = rejected_lima("not a cable")
    url = reverse("admin:cables_rejectedrecord_change", args=[record.pk])
    response = admin_client.post(url, {"raw": LIMA_RAW.read_text(), "_retry": "x"}, follow=True)
    assert "imported as 07LIMA3673" in response.content.decode()
    assert "updated the existing cable" not in response.content.decode()


def test_save_and_rerun_is_refused_without_the_add_cable_permission(
    client, django_user_model, lima
):
    clerk = staff_with(django_user_model, client, "view_rejectedrecord", "change_rejectedrecord")
    record = rejected_lima("not a cable")
    url = reverse("admin:cables_rejectedrecord_change", args=[record.pk])
    response = clerk.post(url, {"raw": edited_lima(), "_retry": "x"})
    lima.refresh_from_db()
    assert response.status_code == 403
    assert lima.versions.count() == 0
    assert "ONDCP Director Walters met" in lima.raw


def test_the_rerun_button_is_hidden_without_the_add_cable_permission(client, django_user_model):
    clerk = staff_with(django_user_model, client, "view_rejectedrecord", "change_rejectedrecord")
    record = rejected_lima("not a cable")
    response = clerk.get(reverse("admin:cables_rejectedrecord_change", args=[record.pk]))
    assert b"Save and re-run" not in response.content


def test_a_rerun_replacing_an_existing_cable_needs_the_change_cable_permission(
    client, django_user_model, lima
):
    clerk = staff_with(
        django_user_model, client, "view_rejectedrecord", "change_rejectedrecord", "add_cable"
    )
    record = rejected_lima("not a cable")
    url = reverse("admin:cables_rejectedrecord_change", args=[record.pk])
    response = clerk.post(url, {"raw": edited_lima(), "_retry": "x"}, follow=True)
    lima.refresh_from_db()
    record.refresh_from_db()
    assert "ONDCP Director Walters met" in lima.raw
    assert lima.versions.count() == 0
    assert record.status == RejectedRecord.Status.PENDING
    assert "needs the permission to change cables" in response.content.decode()


def test_a_rerun_creating_a_new_cable_needs_only_the_add_cable_permission(
    client, django_user_model
):
    clerk = staff_with(
        django_user_model, client, "view_rejectedrecord", "change_rejectedrecord", "add_cable"
    )
    record = rejected_lima("not a cable")
    url = reverse("admin:cables_rejectedrecord_change", args=[record.pk])
    clerk.post(url, {"raw": LIMA_RAW.read_text(), "_retry": "x"})
    record.refresh_from_db()
    assert record.status == RejectedRecord.Status.RESOLVED


def test_the_retry_action_is_refused_without_the_add_cable_permission(
    client, django_user_model, lima
):
    clerk = staff_with(django_user_model, client, "view_rejectedrecord", "change_rejectedrecord")
    record = rejected_lima(edited_lima())
    clerk.post(
        reverse("admin:cables_rejectedrecord_changelist"),
        {"action": "retry", "_selected_action": [record.pk]},
    )
    lima.refresh_from_db()
    record.refresh_from_db()
    assert record.status == RejectedRecord.Status.PENDING
    assert lima.versions.count() == 0


def test_the_retry_action_does_not_replace_a_cable_without_the_change_cable_permission(
    client, django_user_model, lima
):
    clerk = staff_with(
        django_user_model, client, "view_rejectedrecord", "change_rejectedrecord", "add_cable"
    )
    record = rejected_lima(edited_lima())
    clerk.post(
        reverse("admin:cables_rejectedrecord_changelist"),
        {"action": "retry", "_selected_action": [record.pk]},
    )
    lima.refresh_from_db()
    record.refresh_from_db()
    assert record.status == RejectedRecord.Status.PENDING
    assert lima.versions.count() == 0


def test_the_rejected_records_can_be_filtered_by_job(admin_client):
    job = ImportJob.objects.create()
    mine = RejectedRecord.objects.create(source="a", error="e", job=job)
    RejectedRecord.objects.create(source="b", error="e")
    url = reverse("admin:cables_rejectedrecord_changelist") + f"?job__id__exact={job.pk}"
    assert list(admin_client.get(url).context["cl"].result_list) == [mine]


def test_the_rejected_record_list_runs_as_many_queries_for_many_records_as_for_one(admin_client):
    job = ImportJob.objects.create()
    RejectedRecord.objects.create(source="a", error="e", job=job)
    one = queries_for(admin_client, reverse("admin:cables_rejectedrecord_changelist"))
    for index in range(10):
        RejectedRecord.objects.create(source=f"s{index}", error="e", job=ImportJob.objects.create())
    assert queries_for(admin_client, reverse("admin:cables_rejectedrecord_changelist")) == one


# Import jobs


def test_the_import_job_list_runs_as_many_queries_for_many_jobs_as_for_one(
    admin_client, admin_user
):
    ImportJob.objects.create(created_by=admin_user)
    one = queries_for(admin_client, reverse("admin:cables_importjob_changelist"))
    for _ in range(10):
        ImportJob.objects.create(created_by=admin_user)
    assert queries_for(admin_client, reverse("admin:cables_importjob_changelist")) == one


def test_import_jobs_cannot_be_added_by_hand(admin_client):
    assert admin_client.get(reverse("admin:cables_importjob_add")).status_code == 403


def test_origins_are_listed_with_their_slug(admin_client, lima):
    content = admin_client.get(reverse("admin:cables_origin_changelist")).content.decode()
    assert Origin.objects.get(name="Embassy Lima").slug in content


def test_staff_see_reparse_runs_and_cannot_edit_them(admin_client):
    from cables.models import ReparseRun

    run = ReparseRun.objects.create(total=10, last_id=4, report={"records": 4, "changed": 1})
    listing = admin_client.get("/admin/cables/reparserun/")
    assert listing.status_code == 200 and "1 / 4" in listing.content.decode()
    assert admin_client.get("/admin/cables/reparserun/add/").status_code == 403
    page = admin_client.get(f"/admin/cables/reparserun/{run.pk}/change/")
    assert page.status_code == 200 and 'name="last_id"' not in page.content.decode()

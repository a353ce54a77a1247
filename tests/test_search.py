import pytest
from django.db import connection

from cables import search
from cables.models import Cable
from tests.fixtures_web import make_cable

pytest_plugins = ["tests.fixtures_web"]

pytestmark = pytest.mark.django_db


def refids(queryset) -> set[str]:
    return set(queryset.values_list("refid", flat=True))


def matches(text: str) -> set[str]:
    return refids(search.matching(Cable.objects.all(), text))


def test_a_word_of_the_body_finds_the_cable(archive):
    assert matches("cocaine") == {"07LIMA3673"}


def test_words_are_stemmed_so_trafficking_finds_traffickers(archive):
    assert "07LIMA3673" in matches("trafficking")


def test_every_word_is_required(archive):
    assert matches("shah corruption") == matches("shah") & matches("corruption")
    assert "73TEHRAN8233" in matches("shah corruption")


def test_or_accepts_either_word(archive):
    assert matches("cocaine OR executions") == matches("cocaine") | matches("executions")


def test_a_minus_excludes_a_word(archive):
    assert matches("shah -corruption") == matches("shah") - matches("corruption")


def test_a_quoted_phrase_must_appear_in_that_order(archive):
    assert matches('"coca eradication"') >= {"07LIMA3673"}
    assert "07LIMA3673" not in matches('"eradication coca"')


def test_tag_codes_and_origin_names_are_searchable(archive):
    assert matches("SNAR") == {"07LIMA3673", "07LIMA3700"}
    assert matches("Kabul") == {"78KABUL3619"}


def test_a_query_of_only_stop_words_or_negations_matches_nothing(archive):
    assert matches("the of") == set()
    assert matches("-shah") == set()


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "subject:shah",
        "(shah",
        "shah)",
        "'; DROP TABLE cables_cable; --",
        "NEAR(a",
        "*",
    ],
)
def test_quotes_colons_brackets_and_sql_are_plain_text(archive, text):
    assert matches(text) <= matches(" ".join(search.parse_query(text).terms) or "nothing")
    assert Cable.objects.count() == len(archive)


def test_relevance_puts_a_subject_match_before_a_body_mention(archive):
    make_cable("07LIMA9999", subject="COCAINE SEIZURE", body="Police seized cocaine.")
    ranked = search.by_relevance(Cable.objects.all(), "cocaine")
    assert [cable.refid for cable in ranked[0:10]] == ["07LIMA9999", "07LIMA3673"]
    assert [cable.refid for cable in ranked.iterator(chunk_size=1)] == ["07LIMA9999", "07LIMA3673"]
    assert [cable.refid for cable in ranked[1:]] == ["07LIMA3673"]


def test_relevance_ranks_only_among_the_other_filters(archive):
    make_cable("07LIMA9999", subject="COCAINE SEIZURE", body="Police seized cocaine.")
    lima_only = Cable.objects.filter(refid="07LIMA3673")
    assert [cable.refid for cable in search.by_relevance(lima_only, "cocaine")[0:10]] == [
        "07LIMA3673"
    ]


def test_snippets_mark_the_matching_words(archive):
    found = search.snippets([archive["07LIMA3673"].pk], "cocaine")
    assert "<mark>cocaine</mark>" in found[archive["07LIMA3673"].pk].lower()


def test_a_snippet_shows_a_match_far_into_a_long_cable(db):
    filler = "The delegation discussed regional matters at length. " * 400  # about 21 KB
    cable = make_cable("09LONG1", body=filler + "Seizures of cocaine doubled." + filler)
    snippet = search.snippets([cable.pk], "cocaine")[cable.pk]
    assert "<mark>cocaine</mark>" in snippet.lower()


def test_a_phrase_on_a_window_boundary_is_still_marked(db):
    for offset in range(1990, 2011, 4):
        cable = make_cable(f"09EDGE{offset}", body="x" * offset + " drug trafficking rose.")
        snippet = search.snippets([cable.pk], '"drug trafficking"')[cable.pk].lower()
        assert "<mark>drug trafficking</mark>" in snippet.replace("</mark> <mark>", " "), offset


def test_a_cable_matching_in_its_subject_alone_shows_the_start_of_its_text(db):
    cable = make_cable("09SUBJ1", subject="COCAINE SEIZURES", body="Summary: the port saw more.")
    assert "Summary: the port saw more." in search.snippets([cable.pk], "cocaine")[cable.pk]


def test_snippets_escape_cable_text(db):
    cable = make_cable("09XSS1", body="The <script>alert(1)</script> cocaine test.")
    snippet = search.snippets([cable.pk], "cocaine")[cable.pk]
    assert "<script" not in snippet


def test_marked_escapes_text_and_keeps_only_the_highlight_markup():
    text = f"<script>alert(1)</script> {search.MARK_START}cocaine{search.MARK_STOP}"
    assert search.marked(text) == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>cocaine</mark>"


def test_highlight_body_keeps_the_whole_text_with_markers(lima):
    highlighted = search.highlight_body(lima.pk, lima.body, "cocaine")
    assert highlighted.replace(search.MARK_START, "").replace(search.MARK_STOP, "") == lima.body
    assert f"{search.MARK_START}cocaine{search.MARK_STOP}" in highlighted


def test_highlight_body_never_loses_text_the_database_would_drop(db):
    body = "The <script>alert(1)</script> cocaine test."
    cable = make_cable("09XSS2", body=body)
    highlighted = search.highlight_body(cable.pk, body, "cocaine")
    assert highlighted.replace(search.MARK_START, "").replace(search.MARK_STOP, "") == body


def test_reindexing_a_cable_replaces_its_old_words(lima):
    search.unindex_cables([lima.pk])  # while the index can still read the words it holds
    Cable.objects.filter(pk=lima.pk).update(body_stored="Nothing about narcotics here.")
    search.index_cables([lima.pk])
    assert matches("cocaine") == set()
    assert matches("narcotics") == {"07LIMA3673"}


def test_a_deleted_cable_leaves_the_index(lima):
    lima.delete()
    assert matches("cocaine") == set()
    with connection.cursor() as cursor:  # the index itself is sound, not only filtered
        if connection.vendor == "sqlite":
            check = "INSERT INTO cables_cable_fts (cables_cable_fts) VALUES ('integrity-check')"
            cursor.execute(check)


def test_each_database_has_its_backend(db):
    assert (
        type(search.backend()).__module__
        == {
            "postgresql": "cables.search.postgres",
            "sqlite": "cables.search.sqlite",
        }[connection.vendor]
    )


@pytest.fixture
def near():
    filler = " ".join(f"filler{i}" for i in range(20))
    return {
        "close": make_cable("09SAOPAULO1", body="Cocaine seized, two tons of heroin too."),
        "reversed": make_cable("09SAOPAULO2", body="Heroin and then cocaine, the consul says."),
        "far": make_cable("09SAOPAULO3", body=f"cocaine {filler} heroin"),
        "accented": make_cable("09SAOPAULO4", body="The consulate in SAO PAULO reports."),
    }


def test_near_finds_two_words_within_n_words_in_either_order(near):
    assert matches("NEAR(cocaine heroin, 5)") == {"09SAOPAULO1", "09SAOPAULO2"}
    assert matches("heroin NEAR/5 cocaine") == {"09SAOPAULO1", "09SAOPAULO2"}
    assert matches("NEAR(cocaine heroin, 25)") == {"09SAOPAULO1", "09SAOPAULO2", "09SAOPAULO3"}
    assert matches("NEAR(cocaine heroin, 2)") == {"09SAOPAULO2"}  # "and then" between
    assert matches("NEAR(cocaine heroin, 1)") == set()


def test_a_prefix_finds_every_word_it_starts(archive, near):
    assert matches("cocai*") == matches("cocaine")
    assert matches("her* cocaine") >= {"09SAOPAULO1", "09SAOPAULO2", "09SAOPAULO3"}


def test_not_excludes(near):
    assert matches("cocaine NOT consul") == {"09SAOPAULO1", "09SAOPAULO3"}


def test_accents_are_folded_on_both_databases(near):
    assert matches("São Paulo") == {"09SAOPAULO4"}
    assert matches("“são paulo”") == {"09SAOPAULO4"}


def test_prefix_near_and_not_rank_and_highlight(near):
    text = "NEAR(cocaine heroin, 5) NOT consul"
    ranked = search.by_relevance(Cable.objects.all(), text)
    assert [cable.refid for cable in ranked[0:10]] == ["09SAOPAULO1"]
    snippet = search.snippets([near["close"].pk], "heroi*")[near["close"].pk]
    assert "<mark>heroin</mark>" in snippet


@pytest.mark.parametrize("text", ["shah", "cocaine OR executions", "NEAR(coca eradication, 3)"])
def test_counting_matches_agrees_with_the_matches_with_or_without_other_filters(archive, text):
    everything = Cable.objects.all()
    assert search.count_matching(everything, text) == len(matches(text))
    secret = Cable.objects.filter(classification="SECRET")
    assert search.count_matching(secret, text) == search.matching(secret, text).count()

from pathlib import Path

import pytest

from cables.search.query import STOP_WORDS, Near, Phrase, QueryError, parse_query


def words(*texts: str) -> tuple[Phrase, ...]:
    return tuple(Phrase(tuple(text.split())) for text in texts)


def test_parse_query_reads_websearch_syntax():
    query = parse_query('coca "war on drugs" OR narcotics -brazil')
    assert query.clauses == (words("coca"), words("war on drugs", "narcotics"))
    assert query.excluded == words("brazil")
    assert query.terms == ("coca", "war", "on", "drugs", "narcotics")


def test_stop_words_are_dropped_outside_phrases_only():
    assert parse_query("the embassy").clauses == (words("embassy"),)
    assert parse_query('"the embassy"').clauses == (words("the embassy"),)
    assert not parse_query("the of and")


def test_curly_quotes_are_quotes():
    assert parse_query("\u201cwar on drugs\u201d").clauses == (words("war on drugs"),)


def test_not_excludes_like_a_minus():
    assert parse_query("shah NOT corruption").clauses == (words("shah"),)
    assert parse_query("shah NOT corruption").excluded == parse_query("shah -corruption").excluded
    assert parse_query('shah NOT "oil price"').excluded == words("oil price")


def test_a_star_makes_a_prefix_of_the_last_word():
    assert parse_query("narco*").clauses == ((Phrase(("narco",), prefix=True),),)
    assert parse_query('"war on dru"*').clauses == ((Phrase(("war", "on", "dru"), True),),)
    with pytest.raises(QueryError, match="at least 3 letters"):
        parse_query("na*")


def test_near_takes_two_terms_and_a_distance_in_either_spelling():
    expected = Near((Phrase(("cocaine",)), Phrase(("heroin",))), 10)
    assert parse_query("NEAR(cocaine heroin, 10)").clauses == ((expected,),)
    assert parse_query("cocaine NEAR/10 heroin").clauses == ((expected,),)
    assert parse_query("NEAR(cocaine heroin)").clauses == ((expected,),)  # FTS5's default
    assert parse_query("NEAR(cocaine heroin, 3) peru").clauses[1] == words("peru")
    with pytest.raises(QueryError, match="two words"):
        parse_query("NEAR(cocaine, 3)")
    with pytest.raises(QueryError, match="at most 4 NEARs"):
        parse_query(" ".join(["NEAR(cocaine heroin)"] * 5))
    with pytest.raises(QueryError, match="at most 100"):
        parse_query("NEAR(cocaine heroin, 500)")


def test_long_queries_are_refused_before_any_work():
    with pytest.raises(QueryError, match="1,000 characters"):
        parse_query("x" * 1001)
    with pytest.raises(QueryError, match="64 words"):
        parse_query(" ".join(f"w{i}" for i in range(65)))
    assert len(parse_query(" ".join(f"w{i}" for i in range(64))).clauses) == 64


def test_the_stop_words_are_postgresqls_own_list():
    installed = sorted(Path("/usr/share/postgresql").glob("*/tsearch_data/english.stop"))
    if not installed:
        pytest.skip("PostgreSQL's tsearch_data is not installed here")
    words = {line.strip() for line in installed[-1].read_text().splitlines()} - {""}
    assert words == STOP_WORDS


def test_a_query_has_at_most_three_prefixes():
    assert len(parse_query("gov* emb* min*").clauses) == 3
    with pytest.raises(QueryError, match="at most 3 prefixes"):
        parse_query("gov* emb* min* pol*")
    with pytest.raises(QueryError, match="at most 3 prefixes"):
        parse_query("gov* emb* min* NEAR(pol* sec, 5)")

"""The tokenizer (pure): Han bigrams, single characters, Latin and digits, codes, NFKC."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.knowledge.tokens import (
    Clause,
    code_key,
    codes_text,
    index_text,
    looks_like_code,
    parse_query,
    synonym_groups,
    tokens,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("压缩机", ["压缩", "缩机"]),
        ("漏水", ["漏水"]),
        ("制冷效果差", ["制冷", "冷效", "效果", "果差"]),
        ("门", ["门"]),
        ("门 坏", ["门", "坏"]),
        ("外机不转，漏水。", ["外机", "机不", "不转", "漏水"]),
        ("", []),
        ("   ，。！", []),
    ],
)
def test_han_runs_become_overlapping_bigrams_and_a_single_character_itself(text, expected):
    assert tokens(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KFR-35GW 挂机", ["kfr", "35gw", "挂机"]),
        ("显示E4故障", ["显示", "e4", "故障"]),
        ("E41", ["e41"]),
        ("R410A冷媒2.5kg", ["r410a", "冷媒", "2", "5kg"]),
        ("WiFi模块", ["wifi", "模块"]),
        ("Compressor does not start", ["compressor", "does", "not", "start"]),
    ],
)
def test_latin_and_digits_are_lower_case_words_between_han_runs(text, expected):
    assert tokens(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ｅ４故障", ["e4", "故障"]),  # full-width letters and digits
        ("ＫＦＲ－３５ＧＷ", ["kfr", "35gw"]),
        ("压缩机（外机）", ["压缩", "缩机", "外机"]),  # full-width brackets separate
        ("㎏", ["kg"]),  # compatibility characters
        ("不　制冷", ["不", "制冷"]),  # ideographic space separates
    ],
)
def test_full_width_characters_are_normalised(text, expected):
    assert tokens(text) == expected


def test_index_text_is_the_tokens_joined_by_spaces():
    assert index_text("空调不制冷 E4") == "空调 调不 不制 制冷 e4"


@pytest.mark.parametrize(
    ("code", "key"), [("E4", "e4"), ("E-41", "e41"), ("Ｆ１２", "f12"), (" p 0 ", "p0")]
)
def test_fault_codes_are_normalised(code, key):
    assert code_key(code) == key


def test_codes_text_joins_the_keys():
    assert codes_text(["E4", "F-12", ""]) == "e4 f12"


@pytest.mark.parametrize(
    ("word", "is_code"),
    [("e4", True), ("e41", True), ("f12", True), ("p0", True), ("5e", True), ("e", False)],
)
def test_code_shapes(word, is_code):
    assert looks_like_code(word) is is_code


def test_query_han_run_is_one_phrase_and_codes_match_by_prefix():
    q = parse_query("压缩机 E4")
    assert q.clauses == (
        Clause(phrases=(("压缩", "缩机"),)),
        Clause(phrases=(("e4",),), code="e4"),
    )


def test_query_single_character_is_marked_for_the_scan():
    q = parse_query("冷")
    assert q.clauses == (Clause(phrases=(("冷",),), single="冷"),)
    assert q.needs_scan
    assert not parse_query("制冷").needs_scan


def test_a_lone_character_beside_words_is_dropped():
    q = parse_query("不制冷了", [["不制冷", "不冷"]])
    assert q.clauses == (Clause(phrases=(("不制", "制冷"), ("不冷",))),)
    assert not q.needs_scan
    assert parse_query("压缩机 坏").clauses == (Clause(phrases=(("压缩", "缩机"),)),)
    assert parse_query("冷 热").needs_scan


def test_loose_query_makes_each_bigram_a_clause():
    q = parse_query("外机不转", loose=True)
    assert [c.phrases for c in q.clauses] == [(("外机",),), (("机不",),), (("不转",),)]


def test_synonyms_expand_to_every_member_of_the_group():
    groups = synonym_groups(["不制冷 / 不冷 / 制冷差", "# comment", "", "漏水、滴水"])
    assert groups == [["不制冷", "不冷", "制冷差"], ["漏水", "滴水"]]
    q = parse_query("空调不冷", groups)
    assert Clause(phrases=(("不制", "制冷"), ("不冷",), ("制冷", "冷差"))) in q.clauses
    assert Clause(phrases=(("空调",),)) in q.clauses
    assert len(q.clauses) == 2


def test_synonym_group_with_a_single_member_is_ignored():
    assert synonym_groups(["不制冷"]) == []


def test_empty_query_has_no_clauses():
    assert parse_query("  ，。 ").empty


@given(st.text(max_size=60))
def test_every_token_is_lower_case_and_han_tokens_have_one_or_two_characters(text):
    for tok in tokens(text):
        assert tok == tok.lower()
        assert tok.strip() == tok and tok
        if not tok.isascii():
            assert 1 <= len(tok) <= 2


@given(st.text(alphabet="压缩机漏水制冷外内门", min_size=2, max_size=30))
def test_every_two_character_substring_of_han_text_is_a_token(text):
    toks = set(tokens(text))
    for i in range(len(text) - 1):
        assert text[i : i + 2] in toks


@given(st.text(max_size=40))
def test_tokenizing_is_stable_under_nfkc(text):
    import unicodedata

    assert tokens(unicodedata.normalize("NFKC", text)) == tokens(text)

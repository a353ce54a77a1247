from datetime import UTC, datetime

from cables.parser.header import Header, info_recipients, parse_header, recipients
from cables.parser.types import Recipient

# The transmission header of 07LIMA3673, as published (../shared/data/seed.txt).
SEED_HEADER = """VZCZCXYZ0012
PP RUEHWEB
DE RUEHPE #3673/01 3241337
ZNY CCCCC ZZH
P 201337Z NOV 07
FM AMEMBASSY LIMA
TO RUEHC/SECSTATE WASHDC PRIORITY 7349
INFO RUEHBO/AMEMBASSY BOGOTA PRIORITY 5285
RUEHBR/AMEMBASSY BRASILIA PRIORITY 7672
RUEHBU/AMEMBASSY BUENOS AIRES PRIORITY 3196
RUEHCV/AMEMBASSY CARACAS PRIORITY 0930
RUEHLP/AMEMBASSY LA PAZ NOV 4626
RUEHQT/AMEMBASSY QUITO PRIORITY 1593
RUEHSG/AMEMBASSY SANTIAGO PRIORITY 1612
RHEHAAA/WHITE HOUSE WASHDC PRIORITY
RUEAIIA/CIA WASHDC PRIORITY
RUMIAAA/USSOUTHCOM MIAMI FL PRIORITY
"""


def test_seed_header_has_the_transmission_id():
    assert parse_header(SEED_HEADER).transmission_id == "VZCZCXYZ0012"


def test_seed_date_time_group_becomes_an_aware_utc_datetime():
    assert parse_header(SEED_HEADER).created == datetime(2007, 11, 20, 13, 37, tzinfo=UTC)


def test_seed_precedence_comes_from_the_date_time_group_prosign():
    assert parse_header(SEED_HEADER).precedence == "PRIORITY"


def test_seed_sender_is_the_fm_line():
    assert parse_header(SEED_HEADER).sender == "AMEMBASSY LIMA"


def test_seed_has_one_action_and_ten_info_recipients():
    roles = [r.role for r in parse_header(SEED_HEADER).recipients]
    assert roles == ["to"] + ["info"] * 10


def test_seed_action_recipient_is_read_with_route_precedence_and_serial():
    assert recipients(SEED_HEADER) == [
        Recipient("to", "SECSTATE WASHDC", "RUEHC", "PRIORITY", "7349")
    ]


def test_seed_info_recipients_run_from_bogota_to_southcom():
    names = [r.name for r in info_recipients(SEED_HEADER)]
    assert names[0] == "AMEMBASSY BOGOTA" and names[-1] == "USSOUTHCOM MIAMI FL"


def test_info_recipient_without_serial_keeps_its_precedence():
    assert info_recipients(SEED_HEADER)[-1] == Recipient(
        "info", "USSOUTHCOM MIAMI FL", "RUMIAAA", "PRIORITY", None
    )


def test_garbled_precedence_is_dropped_from_the_name_and_keeps_the_serial():
    la_paz = info_recipients(SEED_HEADER)[4]
    assert (la_paz.name, la_paz.precedence, la_paz.serial) == ("AMEMBASSY LA PAZ", None, "4626")


def test_garbled_precedence_is_reported_as_a_warning():
    assert any("NOV" in w for w in parse_header(SEED_HEADER).warnings)


def test_page_break_after_to_is_skipped():
    text = (
        "FM SECSTATE WASHDC\n"
        "TO PAGE 02        STATE   015113  182333Z \n"
        "AMEMBASSY TRIPOLI PRIORITY\n"
    )
    assert recipients(text) == [Recipient("to", "AMEMBASSY TRIPOLI", None, "PRIORITY", None)]


def test_niact_immediate_is_one_precedence():
    text = "TO SPECIAL EMBASSY PROGRAM NIACT IMMEDIATE\n"
    assert recipients(text)[0].precedence == "NIACT IMMEDIATE"


def test_xmt_lines_are_excluded_from_the_preceding_collective():
    text = (
        "TO RUEHC/SECSTATE WASHDC IMMEDIATE 3355\n"
        "RUEHX/EUROPEAN POLITICAL COLLECTIVE\n"
        "XMT/AMEMBASSY SOFIA\n"
        "AMEMBASSY BUCHAREST\n"
    )
    collective = recipients(text)[-1]
    assert collective.excluded == ("AMEMBASSY SOFIA", "AMEMBASSY BUCHAREST")


def test_info_block_stops_at_the_classification_line():
    text = "INFO AMEMBASSY PANAMA\nC O N F I D E N T I A L LIMA 003673\nSIPDIS\n"
    assert [r.name for r in info_recipients(text)] == ["AMEMBASSY PANAMA"]


def test_to_recipients_stop_at_info():
    text = "TO AMEMBASSY NEW DELHI PRIORITY\nINFO RUEHTH/AMEMBASSY ATHENS 0121\n"
    assert [r.name for r in recipients(text)] == ["AMEMBASSY NEW DELHI"]


def test_indented_line_continues_a_wrapped_recipient():
    text = "TO RUEHXX/AMEMBASSY PORT AU\n   PRINCE PRIORITY 0123\n"
    assert recipients(text) == [
        Recipient("to", "AMEMBASSY PORT AU PRINCE", "RUEHXX", "PRIORITY", "0123")
    ]


def test_two_prosigns_take_the_first_precedence():
    assert parse_header("P R 281848Z DEC 66\nFM AMEMBASSY BUENOS AIRES\n").precedence == "PRIORITY"


def test_sixties_two_digit_year_is_in_the_twentieth_century():
    created = parse_header("P R 281848Z DEC 66\n").created
    assert created == datetime(1966, 12, 28, 18, 48, tzinfo=UTC)


def test_date_time_group_without_prosign_still_gives_the_date():
    header = parse_header("061601Z MAY 78\nFM AMEMBASSY KABUL\n")
    assert (header.created, header.precedence) == (datetime(1978, 5, 6, 16, 1, tzinfo=UTC), "")


def test_unknown_prosign_leaves_precedence_empty_with_a_warning():
    header = parse_header("X 201337Z NOV 07\nFM AMEMBASSY LIMA\n")
    assert header.precedence == "" and header.warnings


def test_impossible_date_is_a_warning_not_an_error():
    header = parse_header("P 311337Z FEB 07\nFM AMEMBASSY LIMA\n")
    assert header.created is None and header.warnings


def test_empty_text_gives_an_empty_header():
    assert parse_header("") == Header()


def test_date_time_group_with_a_mixed_case_month_is_read():
    # 00HARARE6677, a partial extract
    head = parse_header(
        "291359Z Nov 00\n\nFM AMEMBASSY HARARE\nTO SECSTATE WASHDC IMMEDIATE 7738\n"
    )
    assert head.created == datetime(2000, 11, 29, 13, 59, tzinfo=UTC)


def test_message_number_is_read_from_the_de_line():
    assert parse_header(SEED_HEADER).sequence == "3673"


def test_security_line_gives_the_classification():
    assert parse_header(SEED_HEADER).security == "CONFIDENTIAL"


def test_office_distribution_under_info_is_not_an_addressee():
    head = (  # 00HARARE6677
        "ACTION AF-00    \n\n"
        "INFO  LOG-00   NP-00    AID-00   ACQ-00   CEA-01   CIAE-00  COME-00  \n"
        "      SAS-00   SWCI-00    /012W\n"
        "                  ------------------A54E38  291401Z /38    \n"
        "FM AMEMBASSY HARARE\n"
        "TO SECSTATE WASHDC IMMEDIATE 7738\n"
        "INFO NSC WASHDC IMMEDIATE\n"
    )
    assert [r.name for r in info_recipients(head)] == ["NSC WASHDC"]


def test_internal_routing_slip_under_info_is_not_an_addressee():
    head = (  # 03ABUDHABI2641
        "    ACTION: POL \n    INFO:   AMB DCM P/M ECON RSO \n\n"
        "FM AMEMBASSY ABU DHABI\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 0227\n"
        "INFO RUEHAM/AMEMBASSY AMMAN 0446\n"
    )
    assert [r.name for r in info_recipients(head)] == ["AMEMBASSY AMMAN"]

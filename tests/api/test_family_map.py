"""L4: the family map across households, drawn on the server, with a table of the same
links, and the organised and complex abuse procedure offered when it applies."""

from __future__ import annotations

import html
import re

from tests.review_support import (
    OTHER_PASSWORD,
    checklist_row,
    csrf_token,
    hold_household,
    link,
    other_team,
    record_concern,
    submit_checklist,
    web_client,
)


def _scenario(app, demo, api_client) -> dict:
    """Craig Whitfield, a person of concern at Flat 6 (Ava), visits the Carters
    (Jayden, Skye); hv has a submitted checklist for Flat 6."""
    hv = api_client("hv")
    concern, craig = record_concern(app, hv, demo)
    school = demo.school_households[0]
    hold_household(app, "hv", school)
    assert link(hv, school, craig)["status"] == "applied"
    flat6 = demo.households[1]
    checklist = submit_checklist(hv, flat6, demo.children[flat6])
    return {"flat6": flat6, "school": school, "craig": craig, "checklist": checklist}


def _svg_links(body: str) -> set[str]:
    return {html.unescape(t) for t in re.findall(r"<line [^>]*><title>([^<]+)</title>", body)}


def _table_links(body: str) -> set[str]:
    table = body.split('id="links-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>[^<]+</td><td>([^<]+)</td><td>([^<]+)</td></tr>",
                      table)
    return {html.unescape(f"{person} {words} at {household}") for person, words, household in rows}


def test_the_map_shows_the_person_of_concern_in_both_households_and_the_children(
        app, demo, api_client):
    s = _scenario(app, demo, api_client)
    response = web_client(app, "lead").get(f"/map/{s['flat6']}")
    assert response.status_code == 200
    body = html.unescape(response.get_data(as_text=True))
    assert "<svg" in body
    assert "style=" not in body
    assert "<script" not in body
    assert "PERSON OF CONCERN" in body
    links = _svg_links(response.get_data(as_text=True))
    assert "Craig Whitfield lives here at Flat 6, Beech House, Northfield NF1 8LD" in links
    assert "Craig Whitfield visits regularly at 27 Damson Street, Northfield NF4 1RW" in links
    contact = body.split('id="contact-heading"', 1)[1]
    for child in ("Ava Whitfield", "Jayden Carter", "Skye Carter"):
        assert child in contact
    assert "regular unsupervised contact" in contact  # Ava, from the concern itself


def test_the_table_lists_the_same_links_as_the_drawing(app, demo, api_client):
    s = _scenario(app, demo, api_client)
    body = web_client(app, "lead").get(f"/map/{s['school']}").get_data(as_text=True)
    assert _svg_links(body) == _table_links(body)
    assert len(_table_links(body)) == 7  # 3 at Flat 6, 3 Carters, Craig at the Carters


def test_two_households_with_children_offer_the_complex_abuse_escalation(app, demo,
                                                                         api_client):
    s = _scenario(app, demo, api_client)
    lead = web_client(app, "lead")
    body = lead.get(f"/map/{s['flat6']}").get_data(as_text=True)
    assert "Consider the organised and complex abuse procedure" in body
    assert "is linked to 2 households with children" in body
    assert f'<option value="{s["checklist"]}">' in body

    answer = lead.post(f"/map/{s['flat6']}/escalate", data={
        "csrf_token": csrf_token(lead), "checklist": s["checklist"],
        "comment": "Two households; strategy meeting requested."})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/review/{s['checklist']}")
    assert checklist_row(app, s["checklist"])["status"] == "escalated"
    page = lead.get(f"/review/{s['checklist']}").get_data(as_text=True)
    assert "Organised and complex abuse procedure" in page


def test_a_practitioner_sees_other_households_without_address_or_names(app, demo, api_client):
    s = _scenario(app, demo, api_client)
    body = html.unescape(web_client(app, "sn").get(f"/map/{s['school']}")
                         .get_data(as_text=True))
    assert "Craig Whitfield" in body
    assert "Another household (not on your caseload)" in body
    assert "Flat 6" not in body
    assert "Ava Whitfield" not in body
    assert "Dana Whitfield" not in body
    assert "<form method=\"post\" action=\"/map/" not in body


def test_who_may_open_a_map(app, demo, api_client):
    s = _scenario(app, demo, api_client)
    other = other_team(app)
    assert web_client(app, "admin").get(f"/map/{s['flat6']}").status_code == 403
    assert web_client(app, "sn").get(f"/map/{s['flat6']}").status_code == 404
    assert web_client(app, "lead").get(f"/map/{other['household']}").status_code == 404
    assert web_client(app, "lead2", OTHER_PASSWORD).get(f"/map/{s['flat6']}").status_code == 404

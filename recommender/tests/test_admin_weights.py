"""The admin as staff tune with it: versions start from what is live, say who changed what, and
the one in force is marked; the index reads cleanly."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.core.management import call_command

from recommender.models import TUNING_LABELS, RankingWeights
from tests.factories import RankingWeightsFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/recommender/rankingweights/add/"
CHANGELIST = "/admin/recommender/rankingweights/"


@pytest.fixture
def staff(client):
    admin = UserFactory.create(email="admin@example.com", admin=True)
    client.force_login(admin)
    return admin


def form_of(weights: RankingWeights, **changes: object) -> dict[str, object]:
    """The admin form as a version shows it, with ``changes`` typed in."""
    return {**{name: getattr(weights, name) for name in TUNING_LABELS}, "note": "", **changes}


def test_it_starts_a_new_version_from_the_one_in_force_not_the_code_defaults(client, staff):
    RankingWeightsFactory.create(alpha_emotion=1.5)
    RankingWeightsFactory.create(alpha_emotion=2.5, temperature=0.3)

    response = client.get(ADD)

    form = response.context["adminform"].form
    assert form.initial["alpha_emotion"] == 2.5
    assert form.initial["temperature"] == 0.3
    assert re.search(r'name="alpha_emotion"[^>]*value="2.5"', response.content.decode())


def test_a_second_tweak_keeps_the_first(client, staff):
    RankingWeightsFactory.create()
    first = client.get(ADD).context["adminform"].form.initial
    client.post(ADD, {**first, "alpha_emotion": 2.5, "note": ""})

    second = client.get(ADD).context["adminform"].form.initial
    client.post(ADD, {**second, "temperature": 0.4, "note": ""})

    in_force = RankingWeights.objects.first()
    assert (in_force.alpha_emotion, in_force.temperature) == (2.5, 0.4)


def test_it_names_a_new_version_by_who_and_what_changed(client, staff):
    RankingWeightsFactory.create(alpha_emotion=2.0, temperature=0.3)

    response = client.post(ADD, form_of(RankingWeights.objects.get(), alpha_emotion=2.5, temperature=0.4))

    assert response.status_code == 302
    saved = RankingWeights.objects.first()
    assert saved.created_by == staff
    assert saved.change_summary == "α 2.0→2.5, temperature 0.3→0.4"
    when = f"{saved.created_at:%Y-%m-%d %H:%M}"
    assert str(saved) == f"v{saved.pk} · {when} · by admin@example.com · α 2.0→2.5, temperature 0.3→0.4"


def test_it_names_an_edit_of_an_old_version_by_what_it_changes_in_the_live_one(client, staff):
    old = RankingWeightsFactory.create(alpha_emotion=1.0, buckets=3)
    RankingWeightsFactory.create(alpha_emotion=2.5, buckets=3)

    client.post(f"{CHANGELIST}{old.pk}/change/", form_of(old, buckets=2))

    assert RankingWeights.objects.count() == 3
    assert RankingWeights.objects.first().change_summary == "α 2.5→1.0, buckets 3→2"


def test_the_first_version_is_compared_with_the_code_defaults(client, staff):
    client.post(ADD, form_of(RankingWeights(), gamma_top=1.2))

    assert RankingWeights.objects.get().change_summary == "γ 0.6→1.2"


def test_the_changelist_marks_exactly_the_version_in_force(client, staff):
    older = RankingWeightsFactory.create_batch(2)
    newest = RankingWeightsFactory.create(alpha_emotion=3.0)

    html = client.get(CHANGELIST).content.decode()

    results = html.split('id="result_list"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>.*?</tr>", results.split("</thead>", 1)[1], flags=re.S)
    marked = [row for row in rows if "icon-yes.svg" in row]
    assert len(rows) == 3
    assert len(marked) == 1
    assert f"v{newest.pk} ·" in marked[0]
    assert all(f"v{old.pk} ·" not in marked[0] for old in older)


def test_the_changelist_filters_by_in_force(client, staff):
    older = RankingWeightsFactory.create_batch(2)
    newest = RankingWeightsFactory.create()

    active = client.get(CHANGELIST, {"active": "yes"}).context["cl"].result_list
    superseded = client.get(CHANGELIST, {"active": "no"}).context["cl"].result_list

    assert [row.pk for row in active] == [newest.pk]
    assert sorted(row.pk for row in superseded) == sorted(old.pk for old in older)


def test_the_changelist_sorts_by_in_force(client, staff):
    newest = RankingWeightsFactory.create_batch(3)[-1]
    column = client.get(CHANGELIST).context["cl"].list_display.index("active")

    descending = client.get(CHANGELIST, {"o": f"-{column}"}).context["cl"].result_list
    ascending = client.get(CHANGELIST, {"o": f"{column}"}).context["cl"].result_list

    assert descending[0].pk == newest.pk
    assert ascending[len(ascending) - 1].pk == newest.pk


def test_the_admin_index_has_distinct_sections_and_plain_plurals(client, staff):
    response = client.get("/admin/")

    names = [app["name"] for app in response.context["app_list"]]
    assert [name for name, count in Counter(names).items() if count > 1] == []
    models = [model["name"] for app in response.context["app_list"] for model in app["models"]]
    assert "Listener settings" in models
    assert "Feedback" in models
    assert not [name for name in models if name.lower().endswith(("ss", "feedbacks"))]


def test_a_superuser_from_createsuperuser_signs_in_at_the_site_and_reaches_the_admin(client, monkeypatch):
    password = "a staff password 123"
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)
    call_command("createsuperuser", "--no-input", email="Boss@Example.com", verbosity=0)

    assert client.get("/admin/").status_code == 302  # sent to the site's login first
    signed_in = client.post("/accounts/login/", {"login": "boss@example.com", "password": password})

    assert signed_in.status_code == 302
    assert client.get("/admin/").status_code == 200

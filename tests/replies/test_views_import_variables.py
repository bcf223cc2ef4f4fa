"""The import wizard (report, then apply), export links, and the variables page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kefu.core.models import Member
from kefu.replies import actions
from kefu.replies.access import get_library
from kefu.replies.models import Library, Reply, Scope, Variable
from tests.replies.conftest import MakeReply
from tests.replies.web import client_for, html

GOOD_CSV = ("编号,一级分类,二级分类,标题,内容,快捷码,标签,相似问法\n"
            "A1,发货物流,,发货时间,亲，48小时内发货哦～,/fh1,发货,什么时候发货\n"
            "A2,售后,退款,退款时效,亲，退款1-3个工作日到账～,,退款、售后,钱什么时候退\n")
BAD_CSV = ("标题,内容,快捷码\n"
           "发货时间,亲，48小时内发货哦～,/fh1\n"
           ",没有标题的一行,\n")


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.fixture
def sup(supervisor: Member) -> Client:
    return client_for(supervisor)


# --- import ---------------------------------------------------------------------------

def test_import_page_offers_only_libraries_the_member_manages(agent: Member,
                                                              company_lib: Library):
    page = html(client_for(agent).get("/library/import/"))
    assert '<option value="personal"' in page
    assert '<option value="company"' not in page


def test_import_report_names_the_bad_row_and_writes_nothing(sup: Client,
                                                            company_lib: Library):
    resp = sup.post("/library/import/", {"step": "check", "library": "company",
                                         "file": upload("replies.csv", BAD_CSV)})
    assert resp.status_code == 400
    page = html(resp)
    assert '<td data-label="Row">3</td>' in page
    assert "The title is required." in page
    assert 'name="step" value="apply"' not in page
    assert not Reply.objects.filter(library=company_lib).exists()


def test_import_checks_then_applies_a_good_file(sup: Client, company_lib: Library):
    # When the supervisor checks a good file, the report counts what would happen
    resp = sup.post("/library/import/", {"step": "check", "library": "company",
                                         "file": upload("replies.csv", GOOD_CSV)})
    assert resp.status_code == 200
    page = html(resp)
    assert 'name="step" value="apply"' in page
    assert "Apply: create 2, update 0" in page
    assert not Reply.objects.filter(library=company_lib).exists()
    # And applies it without choosing the file again
    upload_id = page.split('name="upload" value="')[1].split('"')[0]
    token = page.split('name="token" value="')[1].split('"')[0]
    resp = sup.post("/library/import/", {"step": "apply", "upload": upload_id, "token": token})
    assert resp.status_code == 302
    replies = {r.key: r for r in Reply.objects.filter(library=company_lib)
               .select_related("category__parent")}
    assert set(replies) == {"A1", "A2"}
    assert replies["A2"].category_path() == ["售后", "退款"]
    assert replies["A2"].tags == ["退款", "售后"]
    # The stored upload is gone: applying twice is not possible
    again = sup.post("/library/import/", {"step": "apply", "upload": upload_id, "token": token})
    assert again.status_code == 302
    assert Reply.objects.filter(library=company_lib).count() == 2


def test_import_apply_refuses_a_plan_that_changed(sup: Client, company_lib: Library,
                                                  make_reply: MakeReply, owner: Member):
    page = html(sup.post("/library/import/", {"step": "check", "library": "company",
                                              "file": upload("replies.csv", GOOD_CSV)}))
    upload_id = page.split('name="upload" value="')[1].split('"')[0]
    token = page.split('name="token" value="')[1].split('"')[0]
    # Meanwhile someone creates a reply with one of the file's keys
    make_reply(company_lib, "抢先", key="A1")
    resp = sup.post("/library/import/", {"step": "apply", "upload": upload_id, "token": token})
    assert resp.status_code == 409
    assert "Apply: create 1, update 1" in html(resp)
    assert Reply.objects.filter(library=company_lib).count() == 1


def test_import_apply_needs_the_uploaders_session(sup: Client, supervisor: Member,
                                                  company_lib: Library, admin: Member):
    page = html(sup.post("/library/import/", {"step": "check", "library": "company",
                                              "file": upload("replies.csv", GOOD_CSV)}))
    upload_id = page.split('name="upload" value="')[1].split('"')[0]
    token = page.split('name="token" value="')[1].split('"')[0]
    other = client_for(admin)
    resp = other.post("/library/import/", {"step": "apply", "upload": upload_id,
                                           "token": token})
    assert resp.status_code == 302
    assert not Reply.objects.filter(library=company_lib).exists()


def test_agent_cannot_import_into_the_company_library(agent: Member, company_lib: Library):
    resp = client_for(agent).post("/library/import/", {
        "step": "check", "library": "company", "file": upload("replies.csv", GOOD_CSV)})
    assert resp.status_code == 400  # not one of the agent's choices
    assert not Reply.objects.exists()


def test_agent_imports_into_their_personal_library(agent: Member):
    client = client_for(agent)
    page = html(client.post("/library/import/", {"step": "check", "library": "personal",
                                                 "file": upload("mine.csv", GOOD_CSV)}))
    upload_id = page.split('name="upload" value="')[1].split('"')[0]
    token = page.split('name="token" value="')[1].split('"')[0]
    client.post("/library/import/", {"step": "apply", "upload": upload_id, "token": token})
    assert Reply.objects.filter(library=get_library(agent, Scope.PERSONAL)).count() == 2


def test_export_links_point_at_the_export_endpoint(sup: Client, company_lib: Library,
                                                   make_reply: MakeReply):
    make_reply(company_lib, "导出我")
    page = html(sup.get(f"/library/?lib={company_lib.id}"))
    assert "/api/v1/replies/export?scope=company&amp;format=xlsx" in page
    resp = sup.get("/api/v1/replies/export?scope=company&format=csv")
    assert resp.status_code == 200
    assert "导出我" in resp.content.decode("utf-8-sig")


# --- variables ------------------------------------------------------------------------

def test_variables_page_lists_values_and_usage(sup: Client, supervisor: Member,
                                               company_lib: Library, make_reply: MakeReply):
    actions.do_save_variable(supervisor, supervisor.organization_id, "活动.满减", "满199减30")
    make_reply(company_lib, "活动", "现在{活动.满减}哦")
    make_reply(company_lib, "活动2", "{活动.满减}，{买家昵称}")
    page = html(sup.get("/library/variables/"))
    assert "{活动.满减}" in page
    assert "满199减30" in page
    assert "2 replies" in page
    assert "New variable" in page
    # The count links to those replies
    listed = html(sup.get("/library/?lib=all&q={活动.满减}"))
    assert "现在{活动.满减}哦" in listed
    assert "2 replies" in listed


def test_supervisor_creates_edits_and_deletes_a_variable(sup: Client, supervisor: Member):
    resp = sup.post("/library/variables/", {"name": "活动.满减", "value": "满199减30"})
    assert resp.status_code == 302
    var = Variable.objects.get(name="活动.满减")
    resp = sup.post(f"/library/variables/{var.id}/edit",
                    {"name": "活动.满减", "value": "满299减50", "version": var.version})
    assert resp.status_code == 302
    var.refresh_from_db()
    assert var.value == "满299减50"
    assert sup.post(f"/library/variables/{var.id}/delete").status_code == 302
    assert not Variable.objects.filter(pk=var.id).exists()


def test_variable_name_errors_are_shown_on_the_form(sup: Client):
    resp = sup.post("/library/variables/", {"name": "买家昵称", "value": "x"})
    assert resp.status_code == 400
    assert "built-in variable" in html(resp)


def test_stale_variable_edit_shows_the_conflict_and_changes_nothing(
        sup: Client, supervisor: Member, owner: Member):
    var = actions.do_save_variable(supervisor, supervisor.organization_id, "活动.满减",
                                   "满199减30")
    actions.do_save_variable(owner, owner.organization_id, "活动.满减", "满299减50",
                             variable=var, version=1)
    resp = sup.post(f"/library/variables/{var.id}/edit",
                    {"name": "活动.满减", "value": "我的值", "version": 1})
    assert resp.status_code == 409
    assert "满299减50" in html(resp)
    var.refresh_from_db()
    assert var.value == "满299减50"


def test_agent_reads_variables_but_cannot_change_them(agent: Member, supervisor: Member):
    var = actions.do_save_variable(supervisor, supervisor.organization_id, "活动.满减", "x")
    client = client_for(agent)
    page = html(client.get("/library/variables/"))
    assert "{活动.满减}" in page
    assert "New variable" not in page
    assert f"/library/variables/{var.id}/edit" not in page
    assert client.post("/library/variables/", {"name": "新变量", "value": "1"}).status_code == 403
    assert client.get(f"/library/variables/{var.id}/edit").status_code == 403
    assert client.post(f"/library/variables/{var.id}/edit",
                       {"name": "活动.满减", "value": "改", "version": 1}).status_code == 403
    assert client.post(f"/library/variables/{var.id}/delete").status_code == 403
    var.refresh_from_db()
    assert var.value == "x"


def test_another_organizations_variable_is_404(outsider: Member, supervisor: Member):
    var = actions.do_save_variable(supervisor, supervisor.organization_id, "活动.满减", "x")
    client = client_for(outsider)
    assert client.get(f"/library/variables/{var.id}/edit").status_code == 404
    assert client.post(f"/library/variables/{var.id}/edit").status_code == 404
    assert client.get(f"/library/variables/{var.id}/delete").status_code == 404
    assert client.post(f"/library/variables/{var.id}/delete").status_code == 404

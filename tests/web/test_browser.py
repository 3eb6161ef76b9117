"""Both parties in a real browser (Debian's Chromium, headless) against a real uvicorn: each
person signs in with the password an administrator issued and is asked to pick their own, the
supplier uploads evidence and submits, the buyer's sign-off person accepts, finance opens the
invoice and downloads its PDF, and the supplier cannot open the buyer's confidential file (the
refusal is in the access log the buyer's owner reads). Screenshots of the main pages go to
tests/web/screenshots/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import DEAL, PASSWORD, PDF, PNG, LiveServer, World, make_world

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason=f"no Chromium at {CHROMIUM} (make browser installs it)"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, LiveServer]]:
    world = make_world(tmp_path_factory.mktemp("browser") / "ws", all_roles=False, one_time=True)
    with LiveServer(world.app()) as server:
        yield world, server
    world.workspace.engine.dispose()


def test_two_parties_run_a_milestone_in_the_browser(
    served: tuple[World, LiveServer], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    world, server = served
    SHOTS.mkdir(exist_ok=True)
    files = tmp_path / "files"
    files.mkdir()
    (files / "delivery-receipt.pdf").write_bytes(PDF + b"receipt")
    (files / "test-report.pdf").write_bytes(PDF + b"report")
    (files / "site-photo.png").write_bytes(PNG)
    (files / "acme-budget.pdf").write_bytes(PDF + b"acme internal budget")
    milestone = f"{server.url}/deals/{DEAL}/milestones/hardware-delivery"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)

        def session(username: str) -> object:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(f"{server.url}/login")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            # the issued password works once: the first page is the one to pick one's own
            expect(page.locator("h1")).to_have_text("Change your password")
            page.fill("input[name=current]", PASSWORD)
            page.fill("input[name=new]", f"{username} picked this one")
            page.fill("input[name=confirm]", f"{username} picked this one")
            if username == "acme-owner":
                page.screenshot(path=str(SHOTS / "password.png"), full_page=True)
            page.click("#password-form button[type=submit]")
            expect(page.locator("h1")).to_have_text("Your deals")
            expect(page.locator(".note")).to_contain_text("Your password is changed")
            return page

        # the buyer's owner keeps a confidential budget with the deal
        ana = session("acme-owner")
        ana.goto(milestone)  # type: ignore[attr-defined]
        ana.set_input_files("#upload-form input[type=file]", str(files / "acme-budget.pdf"))  # type: ignore[attr-defined]
        ana.select_option("#upload-form select[name=kind]", "test-report")  # type: ignore[attr-defined]
        ana.check("#upload-form input[name=confidential]")  # type: ignore[attr-defined]
        ana.click("#upload-form button[type=submit]")  # type: ignore[attr-defined]
        expect(ana.locator(".note")).to_contain_text("acme-budget.pdf stored")  # type: ignore[attr-defined]
        secret = next(
            r.sha256 for r in world.workspace.evidence(DEAL, party=None) if r.confidential_to
        )

        # the supplier uploads the evidence and submits the milestone
        sam = session("voltworks-account")
        sam.goto(milestone)  # type: ignore[attr-defined]
        for name, kind in (
            ("delivery-receipt.pdf", "delivery-receipt"),
            ("test-report.pdf", "test-report"),
            ("site-photo.png", "photo"),
        ):
            sam.set_input_files("#upload-form input[type=file]", str(files / name))  # type: ignore[attr-defined]
            sam.select_option("#upload-form select[name=kind]", kind)  # type: ignore[attr-defined]
            sam.click("#upload-form button[type=submit]")  # type: ignore[attr-defined]
            expect(sam.locator(".note")).to_contain_text(f"{name} stored")  # type: ignore[attr-defined]
        expect(sam.get_by_text("acme-budget.pdf")).to_have_count(0)  # type: ignore[attr-defined]
        for box in sam.locator("#submit-form input[name=evidence]").all():  # type: ignore[attr-defined]
            box.check()
        sam.screenshot(path=str(SHOTS / "milestone-supplier.png"), full_page=True)  # type: ignore[attr-defined]
        sam.click("#submit-form button[type=submit]")  # type: ignore[attr-defined]
        expect(sam.locator(".note")).to_contain_text("hardware-delivery submitted by sam")  # type: ignore[attr-defined]

        # the supplier cannot open the buyer's confidential file
        refused = sam.request.get(f"{server.url}/deals/{DEAL}/evidence/{secret}")  # type: ignore[attr-defined]
        assert refused.status == 404

        # the buyer's sign-off person accepts; the invoice is issued with it
        ana.goto(milestone)  # type: ignore[attr-defined]
        expect(ana.locator("h1 .state")).to_have_text("submitted")  # type: ignore[attr-defined]
        ana.click("#accept")  # type: ignore[attr-defined]
        expect(ana.locator(".note")).to_contain_text("invoice hybrid-dc1-001: voltworks → acme")  # type: ignore[attr-defined]
        ana.goto(f"{server.url}/deals/{DEAL}")  # type: ignore[attr-defined]
        ana.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)  # type: ignore[attr-defined]

        # finance sees the invoice and downloads its PDF
        raj = session("acme-finance")
        raj.goto(f"{server.url}/deals/{DEAL}/invoices")  # type: ignore[attr-defined]
        expect(raj.locator("table.grid").first).to_contain_text("88,200.00")  # type: ignore[attr-defined]
        raj.screenshot(path=str(SHOTS / "invoices.png"), full_page=True)  # type: ignore[attr-defined]
        raj.click("text=hybrid-dc1-001")  # type: ignore[attr-defined]
        expect(raj.locator(".invoice-doc")).to_contain_text("88,200.00")  # type: ignore[attr-defined]
        raj.screenshot(path=str(SHOTS / "invoice.png"), full_page=True)  # type: ignore[attr-defined]
        with raj.expect_download() as download:  # type: ignore[attr-defined]
            raj.click("#pdf")  # type: ignore[attr-defined]
        saved = tmp_path / "invoice.pdf"
        download.value.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF")
        assert download.value.suggested_filename == "invoice-hybrid-dc1-001.pdf"

        # the refusal is in the access log the buyer's owner reads
        ana.goto(f"{server.url}/deals/{DEAL}/access-log")  # type: ignore[attr-defined]
        row = ana.locator("tr", has_text=secret[:16])  # type: ignore[attr-defined]
        expect(row.filter(has_text="refused")).to_contain_text("voltworks-account")
        ana.screenshot(path=str(SHOTS / "access-log.png"), full_page=True)  # type: ignore[attr-defined]

        for name, path in (
            ("deals", "/deals"),
            ("milestone-buyer", f"/deals/{DEAL}/milestones/hardware-delivery"),
            ("changes", f"/deals/{DEAL}/changes"),
            ("gates", f"/deals/{DEAL}/gates"),
            ("exit", f"/deals/{DEAL}/exit?trigger=convenience&on=2026-08-01"),
            ("journal", f"/deals/{DEAL}/journal"),
        ):
            ana.goto(server.url + path)  # type: ignore[attr-defined]
            ana.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
        browser.close()

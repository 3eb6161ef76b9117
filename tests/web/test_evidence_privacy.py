"""Confidential evidence leaks nothing to the other party, and what the buyer is asked to
accept it can open.

- The other party uploading the exact bytes of a confidential file gets a record of its own
  (its own name, kind and visibility), never the first uploader's.
- Evidence attached to a submission is readable by the two sides of the decision: the
  submitter's party and the party whose sign-off person decides (every read of a confidential
  file is in the access log), and by no one else.
- A refused read does not name the party the file belongs to."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import DEAL, PDF, World, bearer, client_for, sign_in

SECRET = PDF + b"% VoltWorks controller firmware notes\n"


def _upload(
    client: TestClient, world: World, user: str, name: str, *, confidential: bool
) -> dict[str, object]:
    answer = client.post(
        f"/api/v1/deals/{DEAL}/evidence",
        headers=bearer(world.users[user]),
        files={"file": (name, SECRET, "application/octet-stream")},
        data={"kind": "test-report", "confidential": "true" if confidential else "false"},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _listed(client: TestClient, world: World, user: str) -> list[dict[str, object]]:
    answer = client.get(f"/api/v1/deals/{DEAL}/evidence", headers=bearer(world.users[user]))
    assert answer.status_code == 200
    return list(answer.json())


def test_uploading_the_other_partys_confidential_bytes_gives_your_own_record(
    fresh: World,
) -> None:
    client = client_for(fresh)
    theirs = _upload(client, fresh, "voltworks-account", "vw-firmware.pdf", confidential=True)
    for confidential in (True, False):
        mine = _upload(client, fresh, "acme-owner", "acme-copy.pdf", confidential=confidential)
        assert mine["sha256"] == theirs["sha256"]
        assert mine["name"] == "acme-copy.pdf" and mine["added_by"] == "ana"
        assert mine["confidential_to"] == ("acme" if confidential else None)
        assert "vw-firmware" not in str(mine) and "voltworks" not in str(mine)
    # each side lists its own records only; the supplier's name never reaches the buyer
    acme = _listed(client, fresh, "acme-owner")
    assert {r["name"] for r in acme} == {"acme-copy.pdf"}
    volt = _listed(client, fresh, "voltworks-account")
    assert {(r["name"], r["confidential_to"]) for r in volt} == {
        ("vw-firmware.pdf", "voltworks"),
        ("acme-copy.pdf", None),  # acme shared its copy: both parties see that record
    }
    ana = client_for(fresh)
    sign_in(ana, "acme-owner")
    page = ana.get(f"/deals/{DEAL}/milestones/design-approval").text
    assert "vw-firmware" not in page and "acme-copy.pdf" in page


def test_the_same_upload_twice_by_one_party_is_one_record(fresh: World) -> None:
    client = client_for(fresh)
    first = _upload(client, fresh, "voltworks-account", "a.pdf", confidential=True)
    again = _upload(client, fresh, "voltworks-account", "b.pdf", confidential=True)
    assert again == first
    assert len(_listed(client, fresh, "voltworks-account")) == 1


def test_submitted_evidence_is_readable_by_the_deciding_party_and_no_one_else(
    fresh: World,
) -> None:
    client = client_for(fresh)
    sha = str(_upload(client, fresh, "voltworks-account", "fw.pdf", confidential=True)["sha256"])
    path = f"/api/v1/deals/{DEAL}/evidence/{sha}"
    ana = bearer(fresh.users["acme-owner"])
    before = client.get(path, headers=ana)
    assert before.status_code == 404  # not submitted: still the supplier's alone
    sam = bearer(fresh.users["voltworks-account"])
    others = [
        client.post(
            f"/api/v1/deals/{DEAL}/evidence",
            headers=sam,
            files={"file": (f"{kind}.pdf", PDF + kind.encode(), "application/octet-stream")},
            data={"kind": kind},
        ).json()["sha256"]
        for kind in ("drawing", "signed-acceptance")
    ]
    submitted = client.post(
        f"/api/v1/deals/{DEAL}/milestones/design-approval/submit",
        headers={**sam, "Idempotency-Key": "s1"},
        json={"evidence": [sha, *others]},
    )
    assert submitted.status_code == 200, submitted.text
    opened = client.get(path, headers=ana)
    assert opened.status_code == 200 and opened.content == SECRET
    # the milestone page links the file she is asked to accept
    browser = client_for(fresh)
    sign_in(browser, "acme-owner")
    page = browser.get(f"/deals/{DEAL}/milestones/design-approval").text
    assert f'href="/deals/{DEAL}/evidence/{sha}"' in page
    assert browser.get(f"/deals/{DEAL}/evidence/{sha}").content == SECRET
    # the reads are in the supplier's access log, and the refused one names no owner to acme
    log = client.get(
        f"/api/v1/deals/{DEAL}/access-log", headers=bearer(fresh.users["voltworks-owner"])
    )
    reads = [
        e
        for e in log.json()
        if e["action"] == "evidence.read" and e["outcome"] == "read" and e["party"] == "acme"
    ]
    assert len(reads) == 2 and all("submitted for its decision" in e["detail"] for e in reads)
    acme_log = client.get(f"/api/v1/deals/{DEAL}/access-log", headers=ana).json()
    [refused] = [
        e for e in acme_log if e["action"] == "evidence.read" and e["outcome"] == "refused"
    ]
    assert refused["party"] == "acme" and "voltworks" not in str(refused)

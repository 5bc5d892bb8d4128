"""Simulated tablets for the fault campaign: each signs in, registers, and pushes a
planned series of sealed ops, retrying every request until it gets an answer."""

from __future__ import annotations

import http.client
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from tests.sealing import checklist_payload, complete_visit, sealed_op

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Unanswered(Exception):
    """The connection broke or the server (or proxy) failed: try again."""


@dataclass
class Http:
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
        headers = {"Connection": "close", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise Unanswered(str(error)) from error
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        if response.status >= 500 or response.status == 429:
            raise Unanswered(f"status {response.status}")
        return response.status, dict(response.headers), data


def retrying(call, *, rng: random.Random, attempts: int = 60):
    """Exponential backoff with full jitter, capped, as the tablet does."""
    delay = 0.02
    for _ in range(attempts):
        try:
            return call()
        except Unanswered:
            time.sleep(rng.uniform(0, delay))
            delay = min(delay * 2, 1.0)
    raise AssertionError("no answer after many attempts")


@dataclass
class PlannedOp:
    op: dict
    expect: str  # applied | conflict | rejected
    answers: dict = field(default_factory=dict)  # the payload's answers, for applied ops


@dataclass
class Device:
    username: str
    password: str
    port: int
    households: list[str]
    seed: int
    entities: int = 100
    edits: int = 3
    stale: int = 50
    reused: int = 50
    batch: int = 20
    device_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    results: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.http = Http(self.port)

    # --- session -------------------------------------------------------------

    def sign_in(self) -> None:
        def attempt():
            _, _, page = self.http.request("GET", "/login")
            token = CSRF_INPUT.search(page.decode()).group(1)
            form = f"username={self.username}&password={self.password}&csrf_token={token}"
            status, _, _ = self.http.request(
                "POST", "/login", form.encode(),
                {"Content-Type": "application/x-www-form-urlencoded"})
            if status != 302:
                raise Unanswered(f"sign-in answered {status}")
            status, _, body = self.http.request("GET", "/api/v1/bootstrap")
            if status != 200:
                raise Unanswered(f"bootstrap answered {status}")
            return json.loads(body)

        self.bootstrap = retrying(attempt, rng=self.rng)
        retrying(lambda: self._post("/api/v1/devices", {"device_id": self.device_id,
                                                        "label": self.username}),
                 rng=self.rng)

    def _post(self, path: str, body: dict) -> dict:
        status, _, data = self.http.request(
            "POST", path, json.dumps(body).encode(),
            {"Content-Type": "application/json", "X-CSRFToken": self.bootstrap["csrf_token"],
             "X-Visitcheck-Device": self.device_id})
        if status not in (200, 201):
            raise AssertionError(f"{path} answered {status}: {data[:300]!r}")
        return json.loads(data)

    # --- the plan --------------------------------------------------------------

    def plan(self) -> list[list[PlannedOp]]:
        """Rounds of ops; ops of one round may share a request, a round waits for the last.

        Each entity is created, then edited `edits` times; some edits are followed
        by a stale copy (a conflict) and some creates by a reuse of their op id with
        another body (rejected)."""
        entity_ids = [str(uuid.uuid4()) for _ in range(self.entities)]
        household = {e: self.rng.choice(self.households) for e in entity_ids}
        stale_after = set(self.rng.sample([(e, k) for e in entity_ids
                                           for k in range(1, self.edits + 1)], self.stale))
        reuse = set(self.rng.sample(entity_ids, self.reused))
        rounds: list[list[PlannedOp]] = []
        creates: dict[str, dict] = {}
        for step in range(self.edits + 1):
            round_ops: list[PlannedOp] = []
            # The last edit submits the visit: the server then runs its rules over it.
            status = "submitted" if step == self.edits else "draft"
            for entity in entity_ids:
                answers = complete_visit([], f"{self.username} {entity[:8]} edit {step}")
                op = sealed_op(self.bootstrap, checklist_payload(household[entity],
                                                                 status=status,
                                                                 answers=answers),
                               entity_id=entity, base_rev=step)
                round_ops.append(PlannedOp(op, "applied", answers))
                if step == 0:
                    creates[entity] = op
                if (entity, step) in stale_after:
                    stale = sealed_op(self.bootstrap, checklist_payload(
                        household[entity], answers={"visit": {"no_access": True}}),
                        entity_id=entity, base_rev=step - 1)
                    round_ops.append(PlannedOp(stale, "conflict"))
                if step == 1 and entity in reuse:
                    other = sealed_op(self.bootstrap, checklist_payload(household[entity]),
                                      entity_id=entity, base_rev=0,
                                      op_id=creates[entity]["op_id"])
                    round_ops.append(PlannedOp(other, "rejected"))
            rounds.append(round_ops)
        return rounds

    def run(self) -> list[PlannedOp]:
        self.sign_in()
        planned: list[PlannedOp] = []
        for round_ops in self.plan():
            for start in range(0, len(round_ops), self.batch):
                chunk = round_ops[start:start + self.batch]
                body = {"device_id": self.device_id, "ops": [p.op for p in chunk]}
                answer = retrying(lambda body=body: self._post("/api/v1/sync/push", body),
                                  rng=self.rng)
                for planned_op, result in zip(chunk, answer["results"], strict=True):
                    self.results[planned_op.op["op_id"] + planned_op.expect] = result
                planned += chunk
        return planned

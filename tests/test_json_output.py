"""Answers written by orjson are the JSON Flask's own provider writes."""

import datetime as dt
import json
from dataclasses import dataclass

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from searchapp.web.jsonout import FastJSONProvider


@dataclass
class Point:
    period: str
    count: int


def _app() -> Flask:
    app = Flask(__name__)
    app.json = FastJSONProvider(app)
    return app


ANSWER = {
    "title": "Biển Đông: Việt Nam – Nhật Bản",
    "total": 3,
    "score": 12.3456,
    "hits": [{"url": None, "similar": [], "exact": True}],
    2024: "a year as a key",
    "when": dt.date(2024, 1, 2),
    "point": Point("2024-01", 5),
}


def test_the_same_json_as_flasks_provider_utf8_as_it_is():
    app = _app()
    with app.app_context():
        body = app.json.response(ANSWER).get_data()
        reference = DefaultJSONProvider(app)
        reference.ensure_ascii = False
        reference.sort_keys = False
        expected = reference.dumps(ANSWER)
        assert app.json.dumps(ANSWER) == body.decode("utf-8").rstrip("\n")
    assert body.endswith(b"\n")
    assert "Biển Đông: Việt Nam – Nhật Bản".encode() in body  # no \u escapes
    assert json.loads(body) == json.loads(expected)
    assert list(json.loads(body)) == list(json.loads(expected))  # keys in their order
    assert json.loads(body)["when"] == "Tue, 02 Jan 2024 00:00:00 GMT"  # Flask's conversion of dates


def test_the_app_answers_with_it(client):
    answer = client.get("/api/search?q=Biển Đông")
    assert answer.status_code == 200
    assert answer.get_data().endswith(b"\n")
    assert "Biển Đông".encode() in answer.get_data()
    assert answer.get_json()["ok"] is True

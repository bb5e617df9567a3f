"""`coach review`: the QA web app over the call store (FastAPI, server-rendered pages).

Bound to 127.0.0.1 by default. On any other address a token is required: ``?token=`` once, then a
cookie. The pages read the store only; the one write is a verdict (POST /api/verdicts).
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from coach.review.timeline import timeline_svg
from coach.store.db import CallFilter, Store
from coach.store.flags import FLAG_KINDS
from coach.store.schema import VERDICTS

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PAGE = 100
EXPORT_FIELDS = (
    "call_id",
    "started_at",
    "collector",
    "channel",
    "start",
    "end",
    "lang",
    "text",
    "card",
    "score",
    "verdict",
    "corrected",
)


class VerdictIn(BaseModel):
    call_id: str
    utterance_id: str
    verdict: str
    shown_id: int | None = None
    category: str | None = None


def _filter(request: Request) -> CallFilter:
    q = request.query_params
    return CallFilter(
        flag=q.get("flag") or None,
        since=q.get("since") or None,
        until=q.get("until") or None,
        collector=q.get("collector") or None,
        category=q.get("category") or None,
        flagged=q.get("flagged") == "1",
    )


def create_app(
    store: Store, categories: dict[str, str], token: str | None = None, reviewer: str = ""
) -> FastAPI:
    """The review app over ``store``; ``categories`` maps excuse ids to titles (for verdicts)."""
    app = FastAPI(title="coach review", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def require_token(request: Request, call_next):
        if not token:
            return await call_next(request)
        given = request.query_params.get("token") or request.cookies.get("coach_token") or ""
        if not secrets.compare_digest(given, token):
            return HTMLResponse("a token is needed: open the URL `coach review` printed", 401)
        response = await call_next(request)
        if request.query_params.get("token"):
            response.set_cookie("coach_token", token, httponly=True, samesite="strict")
        return response

    @app.get("/", response_class=HTMLResponse)
    def calls(request: Request, page: int = 0):
        f = _filter(request)
        rows, total = store.list_calls(f, limit=PAGE, offset=page * PAGE)
        return TEMPLATES.TemplateResponse(
            request,
            "calls.html",
            {
                "rows": rows,
                "total": total,
                "page": page,
                "pages": (total + PAGE - 1) // PAGE,
                "filter": asdict(f),
                "counts": store.flag_counts(f),
                "flag_kinds": FLAG_KINDS,
                "collectors": store.collectors(),
                "categories": categories,
                "query": request.url.query,
            },
        )

    @app.get("/calls/{call_id}", response_class=HTMLResponse)
    def call_page(request: Request, call_id: str):
        call = store.call(call_id)
        if call is None:
            raise HTTPException(404, f"no call {call_id}")
        return TEMPLATES.TemplateResponse(
            request,
            "call.html",
            {
                "call": call,
                "rows": _transcript(call),
                "svg": timeline_svg(call),
                "flag_kinds": FLAG_KINDS,
                "categories": categories,
                "verdicts": VERDICTS,
                "alerts_by_rule": _alerts_by_rule(call),
            },
        )

    @app.get("/audio/{call_id}/{channel}")
    def audio(call_id: str, channel: str):
        call = store.call(call_id)
        track = next((a for a in (call or {}).get("audio", []) if a["channel"] == channel), None)
        if track is None or not Path(track["path"]).is_file():
            raise HTTPException(404, "no audio kept for this channel")
        return FileResponse(track["path"], media_type="audio/ogg")

    @app.post("/api/verdicts")
    def verdict(v: VerdictIn):
        if v.category and v.category not in categories:
            raise HTTPException(422, f"unknown category {v.category}")
        try:
            vid = store.add_verdict(
                v.call_id, v.utterance_id, v.verdict, v.shown_id, v.category, reviewer
            )
        except ValueError as err:
            raise HTTPException(422, str(err)) from None
        except LookupError as err:
            raise HTTPException(404, str(err)) from None
        return JSONResponse({"id": vid, "verdict": v.verdict, "category": v.category})

    @app.get("/export.jsonl")
    def export_jsonl(request: Request):
        lines = (
            json.dumps(c, ensure_ascii=False, default=str) + "\n"
            for c in store.iter_calls(_filter(request))
        )
        return StreamingResponse(lines, media_type="application/x-ndjson", headers=_attach("jsonl"))

    @app.get("/export.csv")
    def export_csv(request: Request):
        return StreamingResponse(
            csv_lines(store.iter_calls(_filter(request))),
            media_type="text/csv",
            headers=_attach("csv"),
        )

    @app.get("/calls/{call_id}/export.jsonl")
    def export_call(call_id: str):
        call = store.call(call_id)
        if call is None:
            raise HTTPException(404, f"no call {call_id}")
        body = json.dumps(call, ensure_ascii=False, default=str) + "\n"
        return StreamingResponse(
            iter([body]), media_type="application/x-ndjson", headers=_attach("jsonl", call_id)
        )

    return app


def _attach(ext: str, name: str = "calls") -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}.{ext}"'}


def csv_lines(calls: Iterator[dict]) -> Iterator[str]:
    """One CSV row per utterance, with the card it raised and QA's verdict on it."""
    buf = io.StringIO()
    out = csv.DictWriter(buf, EXPORT_FIELDS)
    out.writeheader()
    for call in calls:
        cards = {s["utterance_id"]: s for s in call["shown"] if s["kind"] == "card"}
        verdicts = {v["utterance_id"]: v for v in call["verdicts"]}
        for u in call["utterances"]:
            card, v = cards.get(u["utterance_id"]), verdicts.get(u["utterance_id"])
            out.writerow(
                {
                    "call_id": call["id"],
                    "started_at": call["started_at"],
                    "collector": call["collector"],
                    "channel": u["channel"],
                    "start": u["start"],
                    "end": u["end"],
                    "lang": u["lang"],
                    "text": u["text"],
                    "card": card["key"] if card else "",
                    "score": card["score"] if card else "",
                    "verdict": v["verdict"] if v else "",
                    "corrected": (v or {}).get("category") or "",
                }
            )
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def _transcript(call: dict) -> list[dict]:
    """Utterances and what was shown, merged in call time, with each card's latest verdict."""
    verdicts: dict[tuple, dict] = {}
    for v in call["verdicts"]:
        verdicts[(v["utterance_id"], v["shown_id"])] = v
    carded = {s["utterance_id"] for s in call["shown"] if s["kind"] == "card"}
    rows = [
        {
            **u,
            "kind": "utterance",
            "t": u["start"],  # when it was said (the row's own "t" is when it was transcribed)
            "carded": u["utterance_id"] in carded,
            "verdict": verdicts.get((u["utterance_id"], None)),
        }
        for u in call["utterances"]
    ]
    rows += [
        {**s, "kind": s["kind"], "verdict": verdicts.get((s["utterance_id"], s["id"]))}
        for s in call["shown"]
    ]
    return sorted(rows, key=lambda r: (r["t"], r["kind"] != "utterance"))


def _alerts_by_rule(call: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for s in call["shown"]:
        if s["kind"] == "alert":
            out.setdefault(s["key"], []).append(s)
    return out

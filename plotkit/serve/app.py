"""The web app: the page, its static files and a small JSON API over the desk. Bad input of
any kind is one JSON message (``{"error": ...}``) the page shows, and never touches a plot
that is running."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from plotkit.errors import UserError
from plotkit.plot.notify import Notifier
from plotkit.plot.session import Choice
from plotkit.presets import preset_files
from plotkit.serve.access import SameOrigin, TokenRequired, is_loopback
from plotkit.serve.desk import Busy, Desk
from plotkit.serve.geometry import page_view
from plotkit.serve.hub import Hub
from plotkit.serve.state import Item, PlotSettings
from plotkit.serve.uploads import MAX_UPLOAD_BYTES, drawing_path, list_drawings, store_upload
from plotkit.units import parse_duration

STATIC = Path(__file__).with_name("static")
LOOPBACK_HOSTS = ["127.0.0.1", "localhost"]


@dataclass(frozen=True)
class ServeConfig:
    folder: Path
    host: str = "127.0.0.1"
    port: int = 8000
    backend: str = "ebb"
    device: str | None = None  # the plotter's serial port
    plotter: str = "axidraw-v3"
    token: str | None = None  # required off loopback
    notify: tuple[str, ...] = ()


def _settings(data: dict[str, Any], default_plotter: str) -> PlotSettings:
    known = {f.name for f in fields(PlotSettings)}
    given = {k: v for k, v in (data or {}).items() if k in known}
    settings = PlotSettings(**{"plotter": default_plotter, **given})
    if settings.plotter not in preset_files("plotters"):
        raise UserError(f"unknown plotter preset {settings.plotter!r}; choose one of the list")
    if settings.pause_every:
        parse_duration(settings.pause_every, "pause every")
    return settings


async def _json(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise UserError("the request is not JSON; reload the page") from None
    if not isinstance(data, dict):
        raise UserError("the request is not a JSON object; reload the page")
    return data


async def _body(request: Request) -> bytes:
    """The request body, refused as soon as it passes the upload limit."""
    size = int(request.headers.get("content-length") or 0)
    too_big = UserError(f"the file is over the {MAX_UPLOAD_BYTES // 2**20} MB limit; simplify the drawing")
    if size > MAX_UPLOAD_BYTES:
        raise too_big
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_UPLOAD_BYTES:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(config: ServeConfig) -> Starlette:
    """The app for ``config``; ``app.state.desk`` is its desk (for shutting down)."""
    desk = Desk(config.folder, (config.backend, config.device), Notifier(config.notify), Hub())

    def item_of(data: dict[str, Any]) -> Item:
        name = str(data.get("name", ""))
        drawing_path(config.folder, name)
        return Item(name, _settings(data.get("settings") or {}, config.plotter))

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def setup(request: Request) -> Response:
        return JSONResponse(
            {
                "drawings": list_drawings(config.folder),
                "plotters": sorted(preset_files("plotters")),
                "plotter": config.plotter,
                "backend": config.backend,
                "max_upload": MAX_UPLOAD_BYTES,
            }
        )

    async def upload(request: Request) -> Response:
        name = request.query_params.get("name", "")
        data = await _body(request)
        return JSONResponse({"name": store_upload(config.folder, name, data)})

    def drawing(request: Request) -> Response:
        q = request.query_params
        settings = _settings(
            {
                "plotter": q.get("plotter", config.plotter),
                "optimize": q.get("optimize") == "1",
                "rotate": q.get("rotate") == "1",
            },
            config.plotter,
        )
        return JSONResponse(page_view(drawing_path(config.folder, q.get("name", "")), settings))

    async def events(request: Request) -> Response:
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(
            desk.hub.stream(desk.state_json), media_type="text/event-stream", headers=headers
        )

    async def state(request: Request) -> Response:
        return JSONResponse(desk.snapshot())

    def command(action):
        """A POST endpoint running ``action(data)`` on a worker thread (it may open a port)."""

        async def endpoint(request: Request) -> Response:
            data = await _json(request) if request.headers.get("content-length") not in (None, "0") else {}
            await run_in_threadpool(action, data)
            return JSONResponse(desk.snapshot())

        return endpoint

    def answer(data: dict[str, Any]) -> None:
        try:
            choice = Choice(data.get("choice"))
        except ValueError:
            raise UserError("answer continue, skip or quit") from None
        desk.answer(int(data.get("id", 0)), choice)

    async def refused(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=409 if isinstance(exc, Busy) else 400)

    routes = [
        Route("/", index),
        Route("/api/setup", setup),
        Route("/api/state", state),
        Route("/api/events", events),
        Route("/api/drawing", drawing),
        Route("/api/upload", upload, methods=["POST"]),
        Route("/api/plot", command(lambda d: desk.plot(item_of(d))), methods=["POST"]),
        Route("/api/queue", command(lambda d: desk.enqueue(item_of(d))), methods=["POST"]),
        Route("/api/unqueue", command(lambda d: desk.dequeue(int(d.get("index", -1)))), methods=["POST"]),
        Route("/api/next", command(lambda d: desk.next()), methods=["POST"]),
        Route("/api/resume", command(lambda d: desk.resume()), methods=["POST"]),
        Route("/api/start-over", command(lambda d: desk.start_over()), methods=["POST"]),
        Route("/api/answer", command(answer), methods=["POST"]),
        Route("/api/pause", command(lambda d: desk.pause()), methods=["POST"]),
        Route("/api/stop", command(lambda d: desk.stop()), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    if is_loopback(config.host):  # another site's page must not reach this one by a renamed host
        middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_HOSTS)]
    else:
        if not config.token:
            raise UserError("a server off the loopback address needs a token")
        middleware = [Middleware(TokenRequired, token=config.token)]
    middleware.append(Middleware(SameOrigin))
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={UserError: refused})
    app.state.desk = desk
    return app

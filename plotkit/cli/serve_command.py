"""``plotkit serve``: the plotter's own web page."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer

from plotkit.cli.boundary import exits_cleanly, stdout
from plotkit.cli.plot_commands import BackendChoice, NotifyOption, PlotterOption
from plotkit.errors import UserError
from plotkit.plotter.backends import DEFAULT_BACKEND
from plotkit.presets import DEFAULT_PLOTTER, load_plotter


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise UserError(f"--listen takes HOST:PORT, such as 127.0.0.1:8000 or 0.0.0.0:8000, got {text!r}")
    return host.strip("[]"), int(port)


@exits_cleanly
def serve(
    folder: Annotated[
        Path, typer.Argument(help="Folder of drawings to offer; uploads, journals and the queue go here too.")
    ] = Path("."),
    listen: Annotated[
        str, typer.Option(help="HOST:PORT to listen on; any address but 127.0.0.1 needs the token.")
    ] = "127.0.0.1:8000",
    plotter: PlotterOption = DEFAULT_PLOTTER,
    backend: Annotated[
        BackendChoice, typer.Option(help="ebb: plotkit's own driver; axidraw: pyaxidraw; sim: no device.")
    ] = BackendChoice[DEFAULT_BACKEND],
    port: Annotated[
        str | None, typer.Option(help="Serial port of the AxiDraw (default: the first one found on USB).")
    ] = None,
    token: Annotated[
        str | None, typer.Option(help="The token off loopback (default: a new random one each start).")
    ] = None,
    notify: NotifyOption = None,
) -> None:
    """The plotter's web page: preview, estimate, plot with live progress, queue, notifications."""
    # imported here: the web server's libraries load for this command only
    from plotkit.plot.notify import Notifier
    from plotkit.serve.access import is_loopback, new_token
    from plotkit.serve.app import ServeConfig
    from plotkit.serve.server import bind
    from plotkit.serve.server import serve as run_server

    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder; give the folder of your drawings")
    load_plotter(plotter)
    Notifier(notify or [])  # a bad URL is refused before the server starts
    host, number = _listen(listen)
    if token is not None and len(token) < 16:
        raise UserError("--token must be at least 16 characters long; or leave it out for a random one")
    token = None if is_loopback(host) else token or new_token()
    config = ServeConfig(folder, host, number, backend.value, port, plotter, token, tuple(notify or ()))
    sock = bind(host, number)
    shown = socket.gethostname() if host in ("0.0.0.0", "::") else host
    bound = sock.getsockname()[1]
    url = f"http://{f'[{shown}]' if ':' in shown else shown}:{bound}/" + (f"?token={token}" if token else "")
    stdout.print(f"plotkit serve: open {url}  (Ctrl-C to stop)", highlight=False, soft_wrap=True)
    if left := run_server(config, sock):
        stdout.print(left, highlight=False, soft_wrap=True)

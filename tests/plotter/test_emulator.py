"""The EiBotBoard emulator over a real pseudo-terminal, driven by plotink and pyserial."""

import os
import shlex
import signal
import subprocess
import sys
import time

import plotink.ebb_motion as motion
import plotink.ebb_serial as ebb
import pytest
import serial
import vpype as vp

from plotkit.cli.app import app
from plotkit.plotter.emulator import Faults
from plotkit.units import PX_PER_MM, STEPS_PER_MM

MM = round(STEPS_PER_MM)  # steps per mm at 16x microstepping, as an integer


@pytest.fixture
def board(emulator):
    em = emulator(speedup=20)
    port = ebb.testPort(em.start())  # plotink's own check: 'v' answered with 'EBB...'
    assert port is not None
    yield em, port
    port.close()
    em.stop()


def test_replies_match_the_firmware(board):
    _, port = board
    port.write(b"QP\r")
    assert port.read(7) == b"1\n\rOK\r\n"  # pen up, with the board's reversed line end
    port.write(b"QB\r")
    assert port.read(7) == b"0\r\nOK\r\n"
    port.write(b"QC\r")
    assert port.read(15) == b"0394,0300\r\nOK\r\n"
    port.write(b"XX,1\r")
    assert port.readline() == b"!8 Err: Unknown command 'XX,1'\r\n"
    assert port.readline() == b"OK\r\n"
    assert ebb.query(port, "QG\r").strip() == "10"  # idle, pen up


def test_pen_down_moves_are_recorded_in_millimetres(board):
    emulator, port = board
    motion.sendEnableMotors(port, 1)
    ebb.command(port, f"XM,100,{10 * MM},{5 * MM}\r")  # pen up: travel to (10, 5)
    motion.sendPenDown(port, 50)
    ebb.command(port, f"XM,200,{20 * MM},0\r")
    ebb.command(port, f"XM,200,0,{15 * MM}\r")
    motion.sendPenUp(port, 50)
    ebb.command(port, f"XM,300,{-30 * MM},{-20 * MM}\r")
    assert emulator.wait_idle()
    assert emulator.paper.strokes == [[(10.0, 5.0), (30.0, 5.0), (30.0, 20.0)]]
    assert emulator.paper.move_seconds == pytest.approx(0.1 + 0.05 + 0.2 + 0.2 + 0.05 + 0.3)
    assert ebb.query(port, "QS\r").startswith("0,0")


def test_queued_commands_hold_the_host_back(emulator):
    em = emulator(speedup=1)
    port = serial.Serial(em.start(), timeout=5)
    try:
        t0 = time.monotonic()
        for _ in range(3):
            port.write(f"SM,1000,{MM},{MM}\r".encode())
            assert port.readline() == b"OK\r\n"
        held = time.monotonic() - t0
        # the third waited for the first to finish (1 s), not for the second too (2 s): one
        # slot of queue; long moves leave room for a loaded machine's jitter
        assert 0.9 < held < 1.7
        assert em.wait_idle() and em.paper.move_seconds == pytest.approx(3.0)
    finally:
        port.close()
        em.stop()


def test_out_of_range_step_rates_are_errors(board):
    emulator, port = board
    port.write(b"SM,1,30000,0\r")  # 30 million steps per second
    assert port.readline().startswith(b"!0 Err")
    assert emulator.wait_idle() and emulator.paper.move_seconds == 0


def test_faults_drop_the_link_and_press_the_button(emulator):
    em = emulator(speedup=50, faults=Faults(drop_after=2, button_at=frozenset({2})))
    port = serial.Serial(em.start(), timeout=0.5)
    try:
        port.write(b"V\r")
        assert port.readline().startswith(b"EBB")
        port.write(b"QB\r")
        assert port.read(7) == b"1\r\nOK\r\n"  # pressed when command 2 arrived
        with pytest.raises((serial.SerialException, OSError)):
            port.write(b"QB\r")
            if not port.readline():
                raise serial.SerialException("no answer: the link is down")
    finally:
        port.close()


def _emulate(record, *args, shell_background=False):
    """``plotkit emulate --record`` in a process of its own; the process (or the shell that
    started it), its pid and its port. ``shell_background`` starts it as a script does,
    ``... &`` from a non-interactive shell: SIGINT ignored."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    command = [sys.executable, "-m", "plotkit", "emulate", "--record", str(record), "--speedup", "50", *args]
    if shell_background:
        command = ["sh", "-c", f"{shlex.join(command)} & echo $!; wait"]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env
    )
    pid, path = proc.pid, None
    while path is None:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        if line.strip().isdigit():
            pid = int(line)
        elif " on " in line:
            path = line.split(" on ")[1].split()[0]
    return proc, pid, path


def _draw_stroke(path, dx=40, dy=20):
    port = ebb.testPort(path)
    motion.sendEnableMotors(port, 1)
    motion.sendPenDown(port, 10)
    ebb.command(port, f"XM,1000,{dx * MM},{dy * MM}\r")
    motion.sendPenUp(port, 10)
    time.sleep(0.2)  # 1 s of moves at --speedup 50
    port.close()


def _recorded(record):
    doc = vp.read_multilayer_svg(str(record), 0.1)
    return doc, sum(len(layer) for layer in doc.layers.values())


def test_emulate_command_records_paper_svg(tmp_path):
    record = tmp_path / "paper.svg"
    proc, _, path = _emulate(record)
    _draw_stroke(path)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "1 strokes in 1 layers" in out
    doc, _ = _recorded(record)
    x0, y0, x1, y1 = doc.bounds()
    assert (x1 - x0, y1 - y0) == pytest.approx((40 * PX_PER_MM, 20 * PX_PER_MM), rel=1e-3)


def test_emulate_writes_its_record_on_sigterm(tmp_path):
    record = tmp_path / "paper.svg"
    proc, _, path = _emulate(record, "--save-every", "1h")  # only the stop can have written it
    _draw_stroke(path)
    proc.terminate()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert f"Wrote {record}" in out and _recorded(record)[1] == 1


def test_emulate_started_with_ampersand_from_a_script_stops_on_sigint(tmp_path):
    record = tmp_path / "paper.svg"
    shell, pid, path = _emulate(record, "--save-every", "1h", shell_background=True)
    try:
        _draw_stroke(path)
        os.kill(pid, signal.SIGINT)  # ignored by default in a background job of a script
        out, err = shell.communicate(timeout=30)
    finally:
        shell.kill()
    assert shell.returncode == 0 and "Traceback" not in err, err
    assert f"Wrote {record}" in out and _recorded(record)[1] == 1


def test_emulate_saves_its_record_while_running_so_sigkill_keeps_it(tmp_path):
    record = tmp_path / "paper.svg"
    proc, _, path = _emulate(record, "--save-every", "0.3s")
    try:
        assert _recorded(record)[1] == 0  # written at once, empty: the path is good
        _draw_stroke(path)
        _draw_stroke(path, 10, 30)
        deadline = time.monotonic() + 20
        while _recorded(record)[1] < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.kill()  # SIGKILL: no handler runs
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert _recorded(record)[1] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["paper.svg"]  # no temporary file left behind


def test_emulate_refuses_a_record_it_cannot_write(tmp_path, runner):
    result = runner.invoke(app, ["emulate", "--record", str(tmp_path / "no" / "paper.svg")])
    assert result.exit_code == 2 and "cannot write it" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

from plotkit.cli import app

app(prog_name="plotkit")

from plotkit.cli.app import app

app(prog_name="plotkit")

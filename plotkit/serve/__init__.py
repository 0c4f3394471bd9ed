"""``plotkit serve``: the plotter's own web page (Starlette on uvicorn), torch-free."""

"""The HTTP layer both stand-ins share, on Starlette and uvicorn.

Each stand-in is its own process speaking its real service's protocol; what they have in
common lives here so that neither hand-writes a web server: building the app (``app``),
responses sent byte for byte as given and bearer tokens (``responses``), counted fault rules
and a connection cut mid-body (``faults``), and running on a host and port, ``--port 0``
included, with the chosen address printed first (``serve``).
"""

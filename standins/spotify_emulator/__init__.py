"""An offline stand-in for the Spotify Web API and Accounts service, run as its own process.

``python -m standins.spotify_emulator --port 8765`` serves the demo catalog and demo listeners with
Spotify's 2026 endpoint set and JSON shapes, so ``spotify.client`` talks to it exactly as
to Spotify. Starlette over uvicorn (``standins.web``), and no Django: it shares the demo
files, never the database.
"""

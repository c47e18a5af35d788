"""The web UI: a thin Gradio shell over ``assistant.chain.Assistant`` and the ingest pipeline.

``server.serve`` is the entry point (``app.py serve``); ``render`` holds the pure rendering
functions, so the UI's rules are tested without a browser.
"""

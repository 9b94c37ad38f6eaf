"""The ASGI entry point for servers: ``uvicorn admin_app.asgi:app``."""

from admin_app.app import create_app

app = create_app()

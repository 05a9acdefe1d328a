"""WSGI entry for running gunicorn directly: `gunicorn 'enrich.wsgi:app'`."""

from enrich.config import load_settings
from enrich.server import build_wsgi_app

app = build_wsgi_app(load_settings())

"""Entry point for gunicorn and `flask --app wsgi`."""
import gc

from app import create_app

app = create_app()
# Everything loaded so far (Flask, SQLAlchemy, SpiffWorkflow, the models) lives as long as
# the process: kept out of the collector's full passes, which otherwise walk it all and
# stall a request now and then — the tail of the sign-in's latency at the morning peak.
gc.freeze()

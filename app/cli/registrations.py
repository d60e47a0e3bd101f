"""`flask registrations process`: run the data center batch now."""
from flask.cli import AppGroup

registrations = AppGroup("registrations", help="Personal information registrations.")
